// The CDK app (cdk.json "app"): reads context into GatewaySettings, builds GatewayStack and applies cdk-nag's
// AwsSolutions pack and the Control Tower proactive controls as validation plugins (context nag=false skips
// both). Env-agnostic and lookup-free: synth runs offline.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { requestModels } from '../lib/api/openapi.js';
import { readGatewaySettings } from './config.js';
import { controlTowerChecks } from './validation.js';
import { GatewayStack } from './gateway-stack.js';

const app = new App();
const stackName = (app.node.tryGetContext('stackName') as string | undefined) ?? 'OnecardGateway';

new GatewayStack(app, stackName, {
  description: 'onecard-gateway: IAM-authorized REST API in front of the Synjones campus one-card platform',
  settings: readGatewaySettings(app.node),
  requestModels: requestModels(),
});

if (app.node.tryGetContext('nag') !== 'false' && app.node.tryGetContext('nag') !== false) {
  // Policy-validation plugins: any unacknowledged finding interrupts synthesis.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }), controlTowerChecks());
}

app.synth();
