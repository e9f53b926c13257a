// Where the functions run when the platform sits on a campus intranet: an existing VPC, subnets and
// security group, imported by id (no lookups, so synth stays offline).
import { Annotations, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import type { VpcPlacement } from '../config.js';
import { StackLayer } from './layer.js';

export class FunctionNetwork extends StackLayer {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.ISubnet[];
  readonly securityGroups: ec2.ISecurityGroup[];

  /** Without placement.securityGroupId, creates a security group with no ingress and all egress. */
  constructor(scope: Construct, id: string, placement: VpcPlacement) {
    super(scope, id);
    this.vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
      vpcId: placement.vpcId,
      availabilityZones: Stack.of(this).availabilityZones,
    });
    this.subnets = placement.subnetIds.map((subnetId, index) => {
      const subnet = ec2.Subnet.fromSubnetId(this, `Subnet${index}`, subnetId);
      Annotations.of(subnet).acknowledgeWarning(
        '@aws-cdk/aws-ec2:noSubnetRouteTableId',
        'The functions only put their network interfaces in these subnets; nothing here reads a route table.',
      );
      return subnet;
    });
    this.securityGroups = placement.securityGroupId
      ? [ec2.SecurityGroup.fromSecurityGroupId(this, 'FunctionSecurityGroup', placement.securityGroupId)]
      : [
          new ec2.SecurityGroup(this, 'FunctionSecurityGroup', {
            vpc: this.vpc,
            description: 'onecard-gateway functions: no ingress; egress to the platform, AWS endpoints',
            allowAllOutbound: true,
          }),
        ];
  }
}
