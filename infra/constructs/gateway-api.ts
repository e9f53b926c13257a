// The IAM-authorized REST API: one method per route of lib/api/routes.ts with its request model, the
// health mock, API Gateway's own refusals in API.md's error shape, access logs, custom domain and WAF.
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53Targets from 'aws-cdk-lib/aws-route53-targets';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import { ROUTES } from '../../lib/api/routes.js';
import { SERVICE_NAME } from '../../lib/observability/names.js';
import type { GatewaySettings } from '../config.js';
import { callersResourcePolicy } from './api-policy.js';
import type { GatewayFunctions } from './gateway-functions.js';
import { StackLayer } from './layer.js';

/** One request body schema per route, as lib/api/openapi.ts `requestModels()` returns them. */
export interface RequestModel {
  /** e.g. 'POST /v1/payments' */
  readonly routeKey: string;
  /** Self-contained draft-4 JSON Schema (no external $ref). */
  readonly schema: object;
}

export interface GatewayApiProps {
  readonly settings: Pick<GatewaySettings, 'logRetentionDays' | 'stageName' | 'throttleRateLimit' | 'throttleBurstLimit' | 'customDomain' | 'webAclArn' | 'apiGatewayCloudWatchRole' | 'callers'>;
  readonly requestModels: readonly RequestModel[];
  readonly functions: GatewayFunctions;
}

export class GatewayApi extends StackLayer {
  readonly restApi: apigw.RestApi;

  constructor(scope: Construct, id: string, props: GatewayApiProps) {
    super(scope, id);
    const { settings } = props;
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: settings.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const domain = settings.customDomain;
    // 'Default': the REST API stands for this layer, so it keeps the logical IDs (and the unique id in
    // its Lambda permissions) it had when it was the stack's child 'Api' (see layer.ts).
    // No binaryMediaTypes. Per docs.aws.amazon.com/apigateway/latest/developerguide/
    // api-gateway-payload-encodings-workflow.html, with binaryMediaTypes and contentHandling undefined a
    // body reaches the integration as a "UTF8-encoded string" (isBase64Encoded false); only a Content-Type
    // matching binaryMediaTypes is passed as binary, base64 to a Lambda proxy (api-gateway-payload-encodings.html).
    // Neither page says what becomes of bytes that are not valid UTF-8 in such a text body (U+FFFD, refusal
    // or as-is), so deployed, lib/adapter/json-body.ts may get an application/json body already decoded and
    // cannot tell a replaced byte from a U+FFFD the client sent; `npm start` base64-encodes such bytes
    // (lib/local/http-gateway.ts), which the adapter refuses (400 VALIDATION, test/adapter/base64-utf8.test.ts).
    // Listing application/json would make every body base64 and so match local, but those pages do not say
    // how the request validator's body models treat a binary payload: verify that on a deployed stage first.
    const api = new apigw.RestApi(this, 'Default', {
      restApiName: SERVICE_NAME,
      description: 'Gateway to the Synjones campus one-card platform (SigV4 / AWS_IAM only)',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // Stage logging needs the account's API Gateway CloudWatch Logs role (one per account and region,
      // shared by every REST API there): created and set only when asked (context apiGatewayCloudWatchRole).
      cloudWatchRole: settings.apiGatewayCloudWatchRole,
      ...(settings.apiGatewayCloudWatchRole ? { cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN } : {}),
      defaultMethodOptions: { authorizationType: apigw.AuthorizationType.IAM },
      // With a callers list, each listed principal may invoke exactly its routes and no other principal
      // anything (api-policy.ts says how); without one, whoever IAM lets in (one caller, `default`).
      ...(settings.callers ? { policy: callersResourcePolicy(settings.callers.entries, settings.stageName) } : {}),
      deployOptions: {
        stageName: settings.stageName,
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        // Never log bodies: they carry pwd, ids and amounts.
        dataTraceEnabled: false,
        throttlingRateLimit: settings.throttleRateLimit,
        throttlingBurstLimit: settings.throttleBurstLimit,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: accessLogFormat(),
      },
      ...(domain
        ? {
            domainName: {
              domainName: domain.domainName,
              certificate: acm.Certificate.fromCertificateArn(this, 'ApiCertificate', domain.certificateArn),
              endpointType: apigw.EndpointType.REGIONAL,
              securityPolicy: apigw.SecurityPolicy.TLS_1_2,
            },
          }
        : {}),
    });
    this.restApi = api;

    if (domain?.hostedZoneId && domain.hostedZoneName) {
      const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'ApiZone', {
        hostedZoneId: domain.hostedZoneId,
        zoneName: domain.hostedZoneName,
      });
      new route53.ARecord(this, 'ApiAliasRecord', {
        zone,
        recordName: domain.domainName,
        target: route53.RecordTarget.fromAlias(new route53Targets.ApiGateway(api)),
      });
    }

    if (settings.webAclArn) {
      new wafv2.CfnWebACLAssociation(this, 'ApiWebAcl', { resourceArn: api.deploymentStage.stageArn, webAclArn: settings.webAclArn });
    } else {
      Validations.of(api.deploymentStage).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason: 'Every method requires SigV4 (AWS_IAM), so anonymous traffic is refused before any integration runs and stage throttling caps the rest; pass -c webAclArn=<regional WAFv2 web ACL> to associate one.',
      });
    }
    const cloudWatchRole = api.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      Validations.of(cloudWatchRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason: 'The account-level API Gateway logging role needs exactly this AWS managed policy (it lets API Gateway create log groups for any API of the account); it is the documented setup for execution and access logs.',
      });
    }

    // Known false positive: the rule wants a literal SourceArn, and CDK's is an Fn::Join of this API's execute-api ARN.
    Validations.of(this).acknowledge({
      id: 'cdk-validator-cfnguard::lambda_function_public_access_prohibited_check',
      reason: 'CT.LAMBDA.PR.2 (false positive): each permission is for apigateway.amazonaws.com with SourceArn limited to this REST API, stage and method; the rule does not read an Fn::Join SourceArn.',
    });
    addGatewayResponses(api, settings.callers !== undefined);
    this.addRoutes(props);
  }

  /** One method per route: the health mock, or a Lambda proxy with the route's request model. */
  private addRoutes({ requestModels, functions }: GatewayApiProps): void {
    const api = this.restApi;
    const validator = new apigw.RequestValidator(this, 'ApiRequestValidator', {
      restApi: api,
      requestValidatorName: 'body-and-parameters',
      validateRequestBody: true,
      validateRequestParameters: true,
    });

    const modelByRoute = new Map(requestModels.map((model) => [model.routeKey, model.schema]));
    for (const route of ROUTES) {
      const resource = api.root.resourceForPath(route.resource);
      const { routeKey } = route;
      const pathParameters = [...route.resource.matchAll(/\{(\w+)\}/g)].map((match) => match[1] as string);
      const requestParameters = Object.fromEntries(pathParameters.map((name) => [`method.request.path.${name}`, true]));

      if (route.functionName === null) {
        resource.addMethod(route.method, healthIntegration(), {
          requestValidator: validator,
          methodResponses: [{ statusCode: '200', responseParameters: { 'method.response.header.x-request-id': true } }],
        });
        continue;
      }

      const schema = modelByRoute.get(routeKey);
      if (route.method === 'POST' && !schema) throw new Error(`requestModels() has no schema for ${routeKey}`);
      const model = schema
        ? api.addModel(modelId(routeKey), {
            contentType: 'application/json',
            modelName: modelId(routeKey),
            schema: schema as apigw.JsonSchema,
          })
        : undefined;

      resource.addMethod(
        route.method,
        new apigw.LambdaIntegration(functions.get(route.functionName), { proxy: true, allowTestInvoke: false }),
        {
          requestValidator: validator,
          ...(Object.keys(requestParameters).length > 0 ? { requestParameters } : {}),
          ...(model ? { requestModels: { 'application/json': model } } : {}),
        },
      );
    }
  }
}

/** One JSON line per request: who called (IAM identity), what, the outcome and the latencies. Never bodies. */
function accessLogFormat(): apigw.AccessLogFormat {
  return apigw.AccessLogFormat.custom(
    JSON.stringify({
      requestId: apigw.AccessLogField.contextRequestId(),
      extendedRequestId: apigw.AccessLogField.contextExtendedRequestId(),
      requestTime: apigw.AccessLogField.contextRequestTime(),
      sourceIp: apigw.AccessLogField.contextIdentitySourceIp(),
      caller: apigw.AccessLogField.contextIdentityCaller(),
      user: apigw.AccessLogField.contextIdentityUser(),
      userArn: apigw.AccessLogField.contextIdentityUserArn(),
      httpMethod: apigw.AccessLogField.contextHttpMethod(),
      resourcePath: apigw.AccessLogField.contextResourcePath(),
      status: apigw.AccessLogField.contextStatus(),
      protocol: apigw.AccessLogField.contextProtocol(),
      responseLength: apigw.AccessLogField.contextResponseLength(),
      responseLatency: apigw.AccessLogField.contextResponseLatency(),
      integrationLatency: apigw.AccessLogField.contextIntegrationLatency(),
      integrationStatus: apigw.AccessLogField.contextIntegrationStatus(),
      errorMessage: apigw.AccessLogField.contextErrorMessage(),
      xrayTraceId: apigw.AccessLogField.contextXrayTraceId(),
    }),
  );
}

/** GET /v1/health answered by API Gateway itself (IAM-authorized like every route): no cold start, no function. */
function healthIntegration(): apigw.MockIntegration {
  return new apigw.MockIntegration({
    passthroughBehavior: apigw.PassthroughBehavior.NEVER,
    requestTemplates: { 'application/json': '{"statusCode": 200}' },
    integrationResponses: [
      {
        statusCode: '200',
        responseTemplates: { 'application/json': '{"status":"ok"}' },
        responseParameters: { 'method.response.header.x-request-id': 'context.requestId' },
      },
    ],
  });
}

/**
 * The message of the MISSING_AUTHENTICATION_TOKEN gateway response: API Gateway cannot tell the caller which cause
 * it is (README "What gets deployed"), so the message names both. Plain ASCII without quotes or backslashes: it
 * is written into the JSON template as is.
 */
export const NO_ROUTE_OR_UNSIGNED =
  'no route of this API has this method and path (an unknown path, or a method the path does not serve), ' +
  'or the request is not signed with SigV4 (every route requires AWS_IAM)';

/** API Gateway's own refusals in API.md's error shape ({"error": {code, message, retryable}}). */
function addGatewayResponses(api: apigw.RestApi, callersListed: boolean): void {
  const body = (code: string, message: string, retryable: boolean): Record<string, string> => ({
    // Gateway response headers map only request parameters or literals, not $context, so API Gateway's
    // own refusals carry the request id in the body (request_id) rather than in x-request-id.
    'application/json': `{"error":{"code":${code},"message":${message},"retryable":${retryable}},"request_id":"$context.requestId"}`,
  });
  const add = (id: string, type: apigw.ResponseType, statusCode: string | undefined, templates: Record<string, string>): void => {
    api.addGatewayResponse(id, { type, ...(statusCode ? { statusCode } : {}), templates });
  };
  // messageString is the quoted message ("Invalid request body"). validationErrorString would name the
  // field, but it is unquoted, holds `"` (invalid JSON) and may echo the input (a pwd): not used.
  add('BadRequestBody', apigw.ResponseType.BAD_REQUEST_BODY, '400', body('"VALIDATION"', '$context.error.messageString', false));
  add('BadRequestParameters', apigw.ResponseType.BAD_REQUEST_PARAMETERS, '400', body('"VALIDATION"', '$context.error.messageString', false));
  add('RequestTooLarge', apigw.ResponseType.REQUEST_TOO_LARGE, '400', body('"VALIDATION"', '"request body too large"', false));
  add('Throttled', apigw.ResponseType.THROTTLED, '429', body('"THROTTLED"', '$context.error.messageString', true));
  add('IntegrationTimeout', apigw.ResponseType.INTEGRATION_TIMEOUT, '504', body('"UPSTREAM_TIMEOUT"', '"the request is still being processed; replay it with the same order_no or read GET /v1/payments/{order_no}"', true));
  if (callersListed) {
    // The resource policy's refusals (a route not among the caller's, or a principal not listed): API.md's
    // 403 FORBIDDEN_ROUTE, as the functions answer it. Without a list an ACCESS_DENIED is IAM's alone.
    add('AccessDenied', apigw.ResponseType.ACCESS_DENIED, '403', body('"FORBIDDEN_ROUTE"', '$context.error.messageString', false));
  }
  // A method or path the API does not define answers MISSING_AUTHENTICATION_TOKEN, and so does an unsigned request
  // to a real route (every method is AWS_IAM): one response type for both, so no 404 or 405 here, which would tell
  // an unsigned caller of a real route that it does not exist. API Gateway's 403 kept, with a message naming both.
  add('MissingAuthenticationToken', apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, '403', body('"MISSING_AUTHENTICATION_TOKEN"', `"${NO_ROUTE_OR_UNSIGNED}"`, false));
  add('Default4xx', apigw.ResponseType.DEFAULT_4XX, undefined, body('"$context.error.responseType"', '$context.error.messageString', false));
  add('Default5xx', apigw.ResponseType.DEFAULT_5XX, undefined, body('"$context.error.responseType"', '$context.error.messageString', true));
}

function modelId(routeKey: string): string {
  return routeKey
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1).toLowerCase())
    .join('');
}
