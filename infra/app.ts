/**
 * The CDK app: one stack per environment in environments.ts.
 *
 *   npm run synth                      # every stage, offline
 *   npx cdk deploy PolymarketSync-dev  # one stage
 */
import { App } from 'aws-cdk-lib';
import { ENVIRONMENTS } from './environments.ts';
import { addStages } from './stages.ts';

const app = new App();
addStages(app, ENVIRONMENTS);
app.synth();
