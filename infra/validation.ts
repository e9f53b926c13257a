// The Control Tower proactive controls (cfn-guard, bundled with @cdklabs/cdk-validator-cfnguard) as a CDK
// policy-validation plugin; the findings the stack does not follow are acknowledged where they arise, with reasons.
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';

/** cfn-guard prints every rule's result for the whole template; the 1 MB default buffer is too small. */
const GUARD_OUTPUT_BUFFER_BYTES = 64 * 1024 * 1024;

export function controlTowerChecks(): CfnGuardValidator {
  return new CfnGuardValidator({ maxBuffer: GUARD_OUTPUT_BUFFER_BYTES });
}
