// The stack's layers (data stores, API, schedules, alarms) organise the construct tree, not the template:
// a layer's id never reaches a logical ID, so the resources kept the IDs they had before the stack was split.
import { createHash } from 'node:crypto';
import { Construct, type IConstruct } from 'constructs';

/** Groups one part of the stack; GatewayStack leaves its id out of every logical ID below it. */
export class StackLayer extends Construct {}

/** CDK's hidden id: left out of logical IDs (and of Names.nodeUniqueId) wherever it appears. */
const HIDDEN_ID = 'Default';
/** Left out of the human part only. */
const HIDDEN_FROM_HUMAN_ID = 'Resource';

/**
 * The logical ID of the element at `path` (the scopes below the stack, the element last) as CDK would
 * allocate it if no StackLayer stood in that path. A layer's `Default` child stands for the layer itself
 * (CDK's convention for a construct's main resource), so before it the layer's id is kept: the REST API
 * is Api/Default, which keeps both its logical IDs and Names.nodeUniqueId (Lambda permission ids use it).
 */
export function logicalIdWithoutLayers(path: readonly IConstruct[]): string {
  const components = path
    .filter((scope, index) => !(scope instanceof StackLayer) || path[index + 1]?.node.id === HIDDEN_ID)
    .map((scope) => scope.node.id);
  return makeUniqueId(components);
}

/** aws-cdk-lib's makeUniqueId (core/lib/private/uniqueid.ts, not exported), unchanged. */
function makeUniqueId(pathComponents: readonly string[]): string {
  const components = pathComponents.filter((id) => id !== HIDDEN_ID);
  const [only] = components;
  if (only === undefined) throw new Error('Unable to calculate a unique id for an empty set of components');
  if (components.length === 1) {
    const candidate = removeNonAlphanumeric(only);
    if (candidate.length <= 255) return candidate;
  }
  const hash = createHash('md5').update(components.join('/')).digest('hex').slice(0, 8).toUpperCase();
  const human = removeDupes(components)
    .filter((id) => id !== HIDDEN_FROM_HUMAN_ID)
    .map(removeNonAlphanumeric)
    .join('')
    .slice(0, 240);
  return human + hash;
}

function removeNonAlphanumeric(text: string): string {
  return text.replace(/[^A-Za-z0-9]/g, '');
}

/** Drops a component that the one kept before it ends with ("TokenTable", "Table" → "TokenTable"). */
function removeDupes(components: readonly string[]): string[] {
  const kept: string[] = [];
  for (const component of components) {
    const last = kept[kept.length - 1];
    if (last === undefined || !last.endsWith(component)) kept.push(component);
  }
  return kept;
}
