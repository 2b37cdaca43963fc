//! EC2 values in the aws CLI's JSON shape: the fields trailhound's account model reads.

use aws_sdk_ec2::types as t;
use serde_json::Value;

use crate::json::{Obj, each};

fn tags(tags: &[t::Tag]) -> Vec<Value> {
    each(tags, |tag| {
        Obj::new()
            .s("Key", tag.key())
            .s("Value", tag.value())
            .done()
    })
}

fn group(g: &t::GroupIdentifier) -> Value {
    Obj::new()
        .s("GroupId", g.group_id())
        .s("GroupName", g.group_name())
        .done()
}

pub fn instance(i: &t::Instance) -> Value {
    Obj::new()
        .s("InstanceId", i.instance_id())
        .s("ImageId", i.image_id())
        .s("InstanceType", i.instance_type().map(|x| x.as_str()))
        .s("KeyName", i.key_name())
        .t("LaunchTime", i.launch_time())
        .o(
            "State",
            i.state().map(|s| {
                Obj::new()
                    .i("Code", s.code().map(i64::from))
                    .s("Name", s.name().map(|n| n.as_str()))
                    .done()
            }),
        )
        .s("SubnetId", i.subnet_id())
        .s("VpcId", i.vpc_id())
        .s("PrivateIpAddress", i.private_ip_address())
        .s("PublicIpAddress", i.public_ip_address())
        .s("Ipv6Address", i.ipv6_address())
        .s("Platform", i.platform().map(|x| x.as_str()))
        .s("PlatformDetails", i.platform_details())
        .s("RootDeviceType", i.root_device_type().map(|x| x.as_str()))
        .s("RootDeviceName", i.root_device_name())
        .o(
            "Placement",
            i.placement().map(|p| {
                Obj::new()
                    .s("AvailabilityZone", p.availability_zone())
                    .done()
            }),
        )
        .o(
            "IamInstanceProfile",
            i.iam_instance_profile()
                .map(|p| Obj::new().s("Arn", p.arn()).s("Id", p.id()).done()),
        )
        .o(
            "MetadataOptions",
            i.metadata_options().map(|m| {
                Obj::new()
                    .s("State", m.state().map(|x| x.as_str()))
                    .s("HttpTokens", m.http_tokens().map(|x| x.as_str()))
                    .i(
                        "HttpPutResponseHopLimit",
                        m.http_put_response_hop_limit().map(i64::from),
                    )
                    .s("HttpEndpoint", m.http_endpoint().map(|x| x.as_str()))
                    .s(
                        "HttpProtocolIpv6",
                        m.http_protocol_ipv6().map(|x| x.as_str()),
                    )
                    .s(
                        "InstanceMetadataTags",
                        m.instance_metadata_tags().map(|x| x.as_str()),
                    )
                    .done()
            }),
        )
        .list("SecurityGroups", each(i.security_groups(), group))
        .list(
            "BlockDeviceMappings",
            each(i.block_device_mappings(), |b| {
                Obj::new()
                    .s("DeviceName", b.device_name())
                    .o(
                        "Ebs",
                        b.ebs().map(|e| {
                            Obj::new()
                                .s("VolumeId", e.volume_id())
                                .s("Status", e.status().map(|x| x.as_str()))
                                .b("DeleteOnTermination", e.delete_on_termination())
                                .t("AttachTime", e.attach_time())
                                .done()
                        }),
                    )
                    .done()
            }),
        )
        .list(
            "NetworkInterfaces",
            each(i.network_interfaces(), instance_eni),
        )
        .list("Tags", tags(i.tags()))
        .done()
}

fn instance_eni(n: &t::InstanceNetworkInterface) -> Value {
    Obj::new()
        .s("NetworkInterfaceId", n.network_interface_id())
        .s("SubnetId", n.subnet_id())
        .s("VpcId", n.vpc_id())
        .s("OwnerId", n.owner_id())
        .s("InterfaceType", n.interface_type())
        .s("PrivateIpAddress", n.private_ip_address())
        .b("SourceDestCheck", n.source_dest_check())
        .s("Status", n.status().map(|x| x.as_str()))
        .o(
            "Association",
            n.association().map(|a| {
                Obj::new()
                    .s("PublicIp", a.public_ip())
                    .s("IpOwnerId", a.ip_owner_id())
                    .done()
            }),
        )
        .o(
            "Attachment",
            n.attachment().map(|a| {
                Obj::new()
                    .s("AttachmentId", a.attachment_id())
                    .i("DeviceIndex", a.device_index().map(i64::from))
                    .s("Status", a.status().map(|x| x.as_str()))
                    .b("DeleteOnTermination", a.delete_on_termination())
                    .done()
            }),
        )
        .list("Groups", each(n.groups(), group))
        .list(
            "Ipv6Addresses",
            each(n.ipv6_addresses(), |a| {
                Obj::new().s("Ipv6Address", a.ipv6_address()).done()
            }),
        )
        .list(
            "PrivateIpAddresses",
            each(n.private_ip_addresses(), |p| {
                Obj::new()
                    .b("Primary", p.primary())
                    .s("PrivateIpAddress", p.private_ip_address())
                    .o(
                        "Association",
                        p.association().map(|a| {
                            Obj::new()
                                .s("PublicIp", a.public_ip())
                                .s("IpOwnerId", a.ip_owner_id())
                                .done()
                        }),
                    )
                    .done()
            }),
        )
        .done()
}

pub fn network_interface(n: &t::NetworkInterface) -> Value {
    Obj::new()
        .s("NetworkInterfaceId", n.network_interface_id())
        .s("SubnetId", n.subnet_id())
        .s("VpcId", n.vpc_id())
        .s("AvailabilityZone", n.availability_zone())
        .s("Description", n.description())
        .s("InterfaceType", n.interface_type().map(|x| x.as_str()))
        .s("OwnerId", n.owner_id())
        .s("PrivateIpAddress", n.private_ip_address())
        .b("SourceDestCheck", n.source_dest_check())
        .b("RequesterManaged", n.requester_managed())
        .s("Status", n.status().map(|x| x.as_str()))
        .o(
            "Association",
            n.association().map(|a| {
                Obj::new()
                    .s("PublicIp", a.public_ip())
                    .s("IpOwnerId", a.ip_owner_id())
                    .s("AllocationId", a.allocation_id())
                    .done()
            }),
        )
        .o(
            "Attachment",
            n.attachment().map(|a| {
                Obj::new()
                    .s("AttachmentId", a.attachment_id())
                    .s("InstanceId", a.instance_id())
                    .s("InstanceOwnerId", a.instance_owner_id())
                    .i("DeviceIndex", a.device_index().map(i64::from))
                    .s("Status", a.status().map(|x| x.as_str()))
                    .b("DeleteOnTermination", a.delete_on_termination())
                    .done()
            }),
        )
        .list("Groups", each(n.groups(), group))
        .list(
            "Ipv6Addresses",
            each(n.ipv6_addresses(), |a| {
                Obj::new().s("Ipv6Address", a.ipv6_address()).done()
            }),
        )
        .list(
            "PrivateIpAddresses",
            each(n.private_ip_addresses(), |p| {
                Obj::new()
                    .b("Primary", p.primary())
                    .s("PrivateIpAddress", p.private_ip_address())
                    .o(
                        "Association",
                        p.association()
                            .map(|a| Obj::new().s("PublicIp", a.public_ip()).done()),
                    )
                    .done()
            }),
        )
        .list("TagSet", tags(n.tag_set()))
        .done()
}

fn ip_permission(p: &t::IpPermission) -> Value {
    Obj::new()
        .s("IpProtocol", p.ip_protocol())
        .i("FromPort", p.from_port().map(i64::from))
        .i("ToPort", p.to_port().map(i64::from))
        .list(
            "IpRanges",
            each(p.ip_ranges(), |r| {
                Obj::new()
                    .s("CidrIp", r.cidr_ip())
                    .s("Description", r.description())
                    .done()
            }),
        )
        .list(
            "Ipv6Ranges",
            each(p.ipv6_ranges(), |r| {
                Obj::new()
                    .s("CidrIpv6", r.cidr_ipv6())
                    .s("Description", r.description())
                    .done()
            }),
        )
        .list(
            "PrefixListIds",
            each(p.prefix_list_ids(), |r| {
                Obj::new()
                    .s("PrefixListId", r.prefix_list_id())
                    .s("Description", r.description())
                    .done()
            }),
        )
        .list(
            "UserIdGroupPairs",
            each(p.user_id_group_pairs(), |g| {
                Obj::new()
                    .s("GroupId", g.group_id())
                    .s("GroupName", g.group_name())
                    .s("UserId", g.user_id())
                    .s("VpcId", g.vpc_id())
                    .s("VpcPeeringConnectionId", g.vpc_peering_connection_id())
                    .s("PeeringStatus", g.peering_status())
                    .s("Description", g.description())
                    .done()
            }),
        )
        .done()
}

pub fn security_group(g: &t::SecurityGroup) -> Value {
    Obj::new()
        .s("GroupId", g.group_id())
        .s("GroupName", g.group_name())
        .s("Description", g.description())
        .s("VpcId", g.vpc_id())
        .s("OwnerId", g.owner_id())
        .list("IpPermissions", each(g.ip_permissions(), ip_permission))
        .list(
            "IpPermissionsEgress",
            each(g.ip_permissions_egress(), ip_permission),
        )
        .list("Tags", tags(g.tags()))
        .done()
}

pub fn network_acl(a: &t::NetworkAcl) -> Value {
    Obj::new()
        .s("NetworkAclId", a.network_acl_id())
        .s("VpcId", a.vpc_id())
        .b("IsDefault", a.is_default())
        .s("OwnerId", a.owner_id())
        .list(
            "Associations",
            each(a.associations(), |s| {
                Obj::new()
                    .s("NetworkAclAssociationId", s.network_acl_association_id())
                    .s("NetworkAclId", s.network_acl_id())
                    .s("SubnetId", s.subnet_id())
                    .done()
            }),
        )
        .list(
            "Entries",
            each(a.entries(), |e| {
                Obj::new()
                    .i("RuleNumber", e.rule_number().map(i64::from))
                    .s("Protocol", e.protocol())
                    .s("RuleAction", e.rule_action().map(|x| x.as_str()))
                    .b("Egress", e.egress())
                    .s("CidrBlock", e.cidr_block())
                    .s("Ipv6CidrBlock", e.ipv6_cidr_block())
                    .o(
                        "PortRange",
                        e.port_range().map(|r| {
                            Obj::new()
                                .i("From", r.from().map(i64::from))
                                .i("To", r.to().map(i64::from))
                                .done()
                        }),
                    )
                    .o(
                        "IcmpTypeCode",
                        e.icmp_type_code().map(|c| {
                            Obj::new()
                                .i("Code", c.code().map(i64::from))
                                .i("Type", c.r#type().map(i64::from))
                                .done()
                        }),
                    )
                    .done()
            }),
        )
        .list("Tags", tags(a.tags()))
        .done()
}

pub fn subnet(s: &t::Subnet) -> Value {
    Obj::new()
        .s("SubnetId", s.subnet_id())
        .s("VpcId", s.vpc_id())
        .s("CidrBlock", s.cidr_block())
        .s("AvailabilityZone", s.availability_zone())
        .b("MapPublicIpOnLaunch", s.map_public_ip_on_launch())
        .b(
            "AssignIpv6AddressOnCreation",
            s.assign_ipv6_address_on_creation(),
        )
        .b("DefaultForAz", s.default_for_az())
        .s("State", s.state().map(|x| x.as_str()))
        .s("OwnerId", s.owner_id())
        .list(
            "Ipv6CidrBlockAssociationSet",
            each(s.ipv6_cidr_block_association_set(), |a| {
                Obj::new()
                    .s("AssociationId", a.association_id())
                    .s("Ipv6CidrBlock", a.ipv6_cidr_block())
                    .o(
                        "Ipv6CidrBlockState",
                        a.ipv6_cidr_block_state()
                            .map(|st| Obj::new().s("State", st.state().map(|x| x.as_str())).done()),
                    )
                    .done()
            }),
        )
        .list("Tags", tags(s.tags()))
        .done()
}

pub fn vpc(v: &t::Vpc) -> Value {
    Obj::new()
        .s("VpcId", v.vpc_id())
        .s("CidrBlock", v.cidr_block())
        .b("IsDefault", v.is_default())
        .s("State", v.state().map(|x| x.as_str()))
        .s("OwnerId", v.owner_id())
        .list(
            "CidrBlockAssociationSet",
            each(v.cidr_block_association_set(), |a| {
                Obj::new()
                    .s("AssociationId", a.association_id())
                    .s("CidrBlock", a.cidr_block())
                    .o(
                        "CidrBlockState",
                        a.cidr_block_state()
                            .map(|st| Obj::new().s("State", st.state().map(|x| x.as_str())).done()),
                    )
                    .done()
            }),
        )
        .list(
            "Ipv6CidrBlockAssociationSet",
            each(v.ipv6_cidr_block_association_set(), |a| {
                Obj::new()
                    .s("AssociationId", a.association_id())
                    .s("Ipv6CidrBlock", a.ipv6_cidr_block())
                    .o(
                        "Ipv6CidrBlockState",
                        a.ipv6_cidr_block_state()
                            .map(|st| Obj::new().s("State", st.state().map(|x| x.as_str())).done()),
                    )
                    .done()
            }),
        )
        .list("Tags", tags(v.tags()))
        .done()
}

pub fn route_table(r: &t::RouteTable) -> Value {
    Obj::new()
        .s("RouteTableId", r.route_table_id())
        .s("VpcId", r.vpc_id())
        .s("OwnerId", r.owner_id())
        .list(
            "Associations",
            each(r.associations(), |a| {
                Obj::new()
                    .b("Main", a.main())
                    .s("RouteTableAssociationId", a.route_table_association_id())
                    .s("RouteTableId", a.route_table_id())
                    .s("SubnetId", a.subnet_id())
                    .s("GatewayId", a.gateway_id())
                    .o(
                        "AssociationState",
                        a.association_state()
                            .map(|st| Obj::new().s("State", st.state().map(|x| x.as_str())).done()),
                    )
                    .done()
            }),
        )
        .list(
            "Routes",
            each(r.routes(), |rt| {
                Obj::new()
                    .s("DestinationCidrBlock", rt.destination_cidr_block())
                    .s("DestinationIpv6CidrBlock", rt.destination_ipv6_cidr_block())
                    .s("DestinationPrefixListId", rt.destination_prefix_list_id())
                    .s("GatewayId", rt.gateway_id())
                    .s("NatGatewayId", rt.nat_gateway_id())
                    .s(
                        "EgressOnlyInternetGatewayId",
                        rt.egress_only_internet_gateway_id(),
                    )
                    .s("VpcPeeringConnectionId", rt.vpc_peering_connection_id())
                    .s("TransitGatewayId", rt.transit_gateway_id())
                    .s("NetworkInterfaceId", rt.network_interface_id())
                    .s("InstanceId", rt.instance_id())
                    .s("Origin", rt.origin().map(|x| x.as_str()))
                    .s("State", rt.state().map(|x| x.as_str()))
                    .done()
            }),
        )
        .list("Tags", tags(r.tags()))
        .done()
}

fn attachments(a: &[t::InternetGatewayAttachment]) -> Vec<Value> {
    each(a, |x| {
        Obj::new()
            .s("State", x.state().map(|s| s.as_str()))
            .s("VpcId", x.vpc_id())
            .done()
    })
}

pub fn internet_gateway(g: &t::InternetGateway) -> Value {
    Obj::new()
        .s("InternetGatewayId", g.internet_gateway_id())
        .s("OwnerId", g.owner_id())
        .list("Attachments", attachments(g.attachments()))
        .list("Tags", tags(g.tags()))
        .done()
}

pub fn egress_only_gateway(g: &t::EgressOnlyInternetGateway) -> Value {
    Obj::new()
        .s(
            "EgressOnlyInternetGatewayId",
            g.egress_only_internet_gateway_id(),
        )
        .list("Attachments", attachments(g.attachments()))
        .list("Tags", tags(g.tags()))
        .done()
}

pub fn nat_gateway(g: &t::NatGateway) -> Value {
    Obj::new()
        .s("NatGatewayId", g.nat_gateway_id())
        .s("SubnetId", g.subnet_id())
        .s("VpcId", g.vpc_id())
        .s("State", g.state().map(|x| x.as_str()))
        .s(
            "ConnectivityType",
            g.connectivity_type().map(|x| x.as_str()),
        )
        .list(
            "NatGatewayAddresses",
            each(g.nat_gateway_addresses(), |a| {
                Obj::new()
                    .s("PublicIp", a.public_ip())
                    .s("PrivateIp", a.private_ip())
                    .s("AllocationId", a.allocation_id())
                    .s("NetworkInterfaceId", a.network_interface_id())
                    .done()
            }),
        )
        .list("Tags", tags(g.tags()))
        .done()
}

fn peering_vpc(v: &t::VpcPeeringConnectionVpcInfo) -> Value {
    Obj::new()
        .s("VpcId", v.vpc_id())
        .s("OwnerId", v.owner_id())
        .s("Region", v.region())
        .s("CidrBlock", v.cidr_block())
        .list(
            "CidrBlockSet",
            each(v.cidr_block_set(), |c| {
                Obj::new().s("CidrBlock", c.cidr_block()).done()
            }),
        )
        .list(
            "Ipv6CidrBlockSet",
            each(v.ipv6_cidr_block_set(), |c| {
                Obj::new().s("Ipv6CidrBlock", c.ipv6_cidr_block()).done()
            }),
        )
        .done()
}

pub fn peering(p: &t::VpcPeeringConnection) -> Value {
    Obj::new()
        .s("VpcPeeringConnectionId", p.vpc_peering_connection_id())
        .o(
            "Status",
            p.status().map(|s| {
                Obj::new()
                    .s("Code", s.code().map(|x| x.as_str()))
                    .s("Message", s.message())
                    .done()
            }),
        )
        .o("AccepterVpcInfo", p.accepter_vpc_info().map(peering_vpc))
        .o("RequesterVpcInfo", p.requester_vpc_info().map(peering_vpc))
        .list("Tags", tags(p.tags()))
        .done()
}

pub fn key_pair(k: &t::KeyPairInfo) -> Value {
    Obj::new()
        .s("KeyPairId", k.key_pair_id())
        .s("KeyFingerprint", k.key_fingerprint())
        .s("KeyName", k.key_name())
        .s("KeyType", k.key_type().map(|x| x.as_str()))
        .s("PublicKey", k.public_key())
        .t("CreateTime", k.create_time())
        .list("Tags", tags(k.tags()))
        .done()
}

pub fn prefix_list(p: &t::ManagedPrefixList) -> Value {
    Obj::new()
        .s("PrefixListId", p.prefix_list_id())
        .s("PrefixListName", p.prefix_list_name())
        .s("AddressFamily", p.address_family())
        .s("State", p.state().map(|x| x.as_str()))
        .s("OwnerId", p.owner_id())
        .i("MaxEntries", p.max_entries().map(i64::from))
        .i("Version", p.version())
        .done()
}

pub fn prefix_list_entry(e: &t::PrefixListEntry) -> Value {
    Obj::new()
        .s("Cidr", e.cidr())
        .s("Description", e.description())
        .done()
}

pub fn launch_template(l: &t::LaunchTemplate) -> Value {
    Obj::new()
        .s("LaunchTemplateId", l.launch_template_id())
        .s("LaunchTemplateName", l.launch_template_name())
        .i("DefaultVersionNumber", l.default_version_number())
        .i("LatestVersionNumber", l.latest_version_number())
        .t("CreateTime", l.create_time())
        .s("CreatedBy", l.created_by())
        .list("Tags", tags(l.tags()))
        .done()
}

pub fn launch_template_version(v: &t::LaunchTemplateVersion) -> Value {
    let data = v.launch_template_data().map(|d| {
        Obj::new()
            .s("KeyName", d.key_name())
            .s("ImageId", d.image_id())
            .s("InstanceType", d.instance_type().map(|x| x.as_str()))
            .o(
                "MetadataOptions",
                d.metadata_options().map(|m| {
                    Obj::new()
                        .s("HttpTokens", m.http_tokens().map(|x| x.as_str()))
                        .i(
                            "HttpPutResponseHopLimit",
                            m.http_put_response_hop_limit().map(i64::from),
                        )
                        .s("HttpEndpoint", m.http_endpoint().map(|x| x.as_str()))
                        .done()
                }),
            )
            .o(
                "IamInstanceProfile",
                d.iam_instance_profile()
                    .map(|p| Obj::new().s("Arn", p.arn()).s("Name", p.name()).done()),
            )
            .strings("SecurityGroupIds", d.security_group_ids())
            .strings("SecurityGroups", d.security_groups())
            .list(
                "NetworkInterfaces",
                each(d.network_interfaces(), |n| {
                    Obj::new()
                        .i("DeviceIndex", n.device_index().map(i64::from))
                        .s("SubnetId", n.subnet_id())
                        .b("AssociatePublicIpAddress", n.associate_public_ip_address())
                        .strings("Groups", n.groups())
                        .done()
                }),
            )
            .done()
    });
    Obj::new()
        .s("LaunchTemplateId", v.launch_template_id())
        .s("LaunchTemplateName", v.launch_template_name())
        .i("VersionNumber", v.version_number())
        .b("DefaultVersion", v.default_version())
        .t("CreateTime", v.create_time())
        .o("LaunchTemplateData", data)
        .done()
}

pub fn volume(v: &t::Volume) -> Value {
    Obj::new()
        .s("VolumeId", v.volume_id())
        .i("Size", v.size().map(i64::from))
        .s("State", v.state().map(|x| x.as_str()))
        .b("Encrypted", v.encrypted())
        .s("KmsKeyId", v.kms_key_id())
        .s("VolumeType", v.volume_type().map(|x| x.as_str()))
        .s("AvailabilityZone", v.availability_zone())
        .s("SnapshotId", v.snapshot_id())
        .t("CreateTime", v.create_time())
        .list(
            "Attachments",
            each(v.attachments(), |a| {
                Obj::new()
                    .s("InstanceId", a.instance_id())
                    .s("VolumeId", a.volume_id())
                    .s("Device", a.device())
                    .s("State", a.state().map(|x| x.as_str()))
                    .b("DeleteOnTermination", a.delete_on_termination())
                    .done()
            }),
        )
        .list("Tags", tags(v.tags()))
        .done()
}

pub fn image(i: &t::Image) -> Value {
    Obj::new()
        .s("ImageId", i.image_id())
        .s("Name", i.name())
        .s("OwnerId", i.owner_id())
        .b("Public", i.public())
        .s("State", i.state().map(|x| x.as_str()))
        .s("CreationDate", i.creation_date())
        .list(
            "BlockDeviceMappings",
            each(i.block_device_mappings(), |b| {
                Obj::new()
                    .s("DeviceName", b.device_name())
                    .o(
                        "Ebs",
                        b.ebs().map(|e| {
                            Obj::new()
                                .s("SnapshotId", e.snapshot_id())
                                .b("Encrypted", e.encrypted())
                                .done()
                        }),
                    )
                    .done()
            }),
        )
        .list("Tags", tags(i.tags()))
        .done()
}

pub fn snapshot(s: &t::Snapshot) -> Value {
    Obj::new()
        .s("SnapshotId", s.snapshot_id())
        .s("VolumeId", s.volume_id())
        .s("State", s.state().map(|x| x.as_str()))
        .b("Encrypted", s.encrypted())
        .s("KmsKeyId", s.kms_key_id())
        .s("OwnerId", s.owner_id())
        .t("StartTime", s.start_time())
        .i("VolumeSize", s.volume_size().map(i64::from))
        .s("Description", s.description())
        .list("Tags", tags(s.tags()))
        .done()
}

pub fn flow_log(f: &t::FlowLog) -> Value {
    Obj::new()
        .s("FlowLogId", f.flow_log_id())
        .s("ResourceId", f.resource_id())
        .s("TrafficType", f.traffic_type().map(|x| x.as_str()))
        .s(
            "LogDestinationType",
            f.log_destination_type().map(|x| x.as_str()),
        )
        .s("LogDestination", f.log_destination())
        .s("LogGroupName", f.log_group_name())
        .s("FlowLogStatus", f.flow_log_status())
        .s("DeliverLogsStatus", f.deliver_logs_status())
        .done()
}

pub fn create_volume_permission(p: &t::CreateVolumePermission) -> Value {
    Obj::new()
        .s("Group", p.group().map(|x| x.as_str()))
        .s("UserId", p.user_id())
        .done()
}

pub fn launch_permission(p: &t::LaunchPermission) -> Value {
    Obj::new()
        .s("Group", p.group().map(|x| x.as_str()))
        .s("UserId", p.user_id())
        .s("OrganizationArn", p.organization_arn())
        .s("OrganizationalUnitArn", p.organizational_unit_arn())
        .done()
}

pub fn security_group_rule(r: &t::SecurityGroupRule) -> Value {
    let referenced = r.referenced_group_info().map(|g| {
        Obj::new()
            .s("GroupId", g.group_id())
            .s("UserId", g.user_id())
            .s("VpcId", g.vpc_id())
            .s("VpcPeeringConnectionId", g.vpc_peering_connection_id())
            .s("PeeringStatus", g.peering_status())
            .done()
    });
    Obj::new()
        .s("SecurityGroupRuleId", r.security_group_rule_id())
        .s("GroupId", r.group_id())
        .s("GroupOwnerId", r.group_owner_id())
        .b("IsEgress", r.is_egress())
        .s("IpProtocol", r.ip_protocol())
        .i("FromPort", r.from_port().map(i64::from))
        .i("ToPort", r.to_port().map(i64::from))
        .s("CidrIpv4", r.cidr_ipv4())
        .s("CidrIpv6", r.cidr_ipv6())
        .s("PrefixListId", r.prefix_list_id())
        .s("Description", r.description())
        .s("SecurityGroupRuleArn", r.security_group_rule_arn())
        .o("ReferencedGroupInfo", referenced)
        .list("Tags", tags(r.tags()))
        .done()
}

pub fn address(a: &t::Address) -> Value {
    Obj::new()
        .s("PublicIp", a.public_ip())
        .s("AllocationId", a.allocation_id())
        .s("AssociationId", a.association_id())
        .s("Domain", a.domain().map(|x| x.as_str()))
        .s("InstanceId", a.instance_id())
        .s("NetworkInterfaceId", a.network_interface_id())
        .s("NetworkInterfaceOwnerId", a.network_interface_owner_id())
        .s("PrivateIpAddress", a.private_ip_address())
        .s("PublicIpv4Pool", a.public_ipv4_pool())
        .s("NetworkBorderGroup", a.network_border_group())
        .list("Tags", tags(a.tags()))
        .done()
}

pub fn profile_association(a: &t::IamInstanceProfileAssociation) -> Value {
    let profile = a
        .iam_instance_profile()
        .map(|p| Obj::new().s("Arn", p.arn()).s("Id", p.id()).done());
    Obj::new()
        .s("AssociationId", a.association_id())
        .s("InstanceId", a.instance_id())
        .s("State", a.state().map(|x| x.as_str()))
        .t("Timestamp", a.timestamp())
        .o("IamInstanceProfile", profile)
        .done()
}
