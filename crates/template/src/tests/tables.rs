//! Table resources become typed table definitions (rendered here as the `CreateTable` request the
//! store will make); `!Ref` gives the table name.

use serde_json::json;

use super::load;

#[test]
fn simple_table_defaults_to_an_id_string_key_on_demand() {
    let model = load(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  Items:
    Type: AWS::Serverless::SimpleTable
  Named:
    Type: AWS::Serverless::SimpleTable
    Properties:
      TableName: !Sub '${AWS::StackName}-named'
      PrimaryKey: {Name: pk, Type: Number}
      ProvisionedThroughput: {ReadCapacityUnits: 5, WriteCapacityUnits: '2'}
",
    );
    assert_eq!(model.tables.len(), 2);
    assert_eq!(model.tables[0].name, "Items");
    assert_eq!(
        model.tables[0].spec.to_create_table_request(),
        json!({
            "TableName": "Items",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST"
        })
    );
    let named = &model.tables[1].spec.to_create_table_request();
    assert_eq!(named["TableName"], "sluice-named");
    assert_eq!(named["AttributeDefinitions"][0]["AttributeType"], "N");
    assert_eq!(named["BillingMode"], "PROVISIONED");
    assert_eq!(
        named["ProvisionedThroughput"],
        json!({"ReadCapacityUnits": 5, "WriteCapacityUnits": 2})
    );
    assert!(model.warnings.is_empty(), "{:?}", model.warnings);
}

#[test]
fn dynamodb_table_properties_are_the_create_table_request() {
    let model = load(
        "Resources:
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: orders
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {AttributeName: pk, AttributeType: S}
        - {AttributeName: sk, AttributeType: N}
        - {AttributeName: gsi, AttributeType: S}
      KeySchema:
        - {AttributeName: pk, KeyType: HASH}
        - {AttributeName: sk, KeyType: RANGE}
      GlobalSecondaryIndexes:
        - IndexName: byGsi
          KeySchema: [{AttributeName: gsi, KeyType: HASH}]
          Projection: {ProjectionType: ALL}
      TimeToLiveSpecification: {AttributeName: expires, Enabled: true}
      StreamSpecification: {StreamViewType: NEW_IMAGE}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Environment:
        Variables:
          TABLE: !Ref Orders
",
    );
    let table = &model.tables[0];
    assert_eq!(table.name, "orders");
    assert_eq!(table.spec.ttl_attribute.as_deref(), Some("expires"));
    let request = &table.spec.to_create_table_request();
    assert_eq!(
        request["KeySchema"][1],
        json!({"AttributeName": "sk", "KeyType": "RANGE"})
    );
    assert_eq!(request["GlobalSecondaryIndexes"][0]["IndexName"], "byGsi");
    assert_eq!(
        request["StreamSpecification"],
        json!({"StreamViewType": "NEW_IMAGE", "StreamEnabled": true})
    );
    assert!(
        request.get("TimeToLiveSpecification").is_none(),
        "TTL is not a CreateTable key"
    );
    assert_eq!(model.functions[0].environment["TABLE"], "orders");
}

#[test]
fn point_in_time_recovery_and_resource_policy_travel_with_the_table() {
    let model = load(
        "Resources:
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: 'true', RecoveryPeriodInDays: '7'}
      ResourcePolicy:
        PolicyDocument:
          Version: '2012-10-17'
          Statement:
            - Effect: Allow
              Principal: {AWS: !Sub 'arn:aws:iam::${AWS::AccountId}:root'}
              Action: dynamodb:GetItem
              Resource: '*'
  Plain:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: false}
",
    );
    let orders = &model.tables[0].spec;
    assert_eq!(orders.point_in_time_recovery, Some(7));
    let request = orders.to_create_table_request();
    let policy: serde_json::Value =
        serde_json::from_str(request["ResourcePolicy"].as_str().unwrap()).unwrap();
    assert_eq!(policy["Statement"][0]["Action"], "dynamodb:GetItem");
    assert_eq!(
        policy["Statement"][0]["Principal"]["AWS"],
        "arn:aws:iam::123456789012:root"
    );
    assert!(request.get("PointInTimeRecoverySpecification").is_none());
    assert_eq!(model.tables[1].spec.point_in_time_recovery, None);
    assert!(model.warnings.is_empty(), "{:?}", model.warnings);
}

#[test]
fn dynamodb_table_without_key_schema_names_the_property() {
    let error = super::load_err(
        "Resources:
  T:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
",
    );
    assert!(
        error.contains("Resources.T.Properties.KeySchema"),
        "{error}"
    );
    assert!(
        error.contains(":5:"),
        "points at the table's properties: {error}"
    );
}

#[test]
fn dynamodb_table_properties_become_typed_values() {
    use sluice_table_spec::{Billing, KeyType, Projection, ScalarType, StreamViewType, Throughput};
    let model = load(
        "Resources:
  Events:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions:
        - {AttributeName: pk, AttributeType: S}
        - {AttributeName: at, AttributeType: N}
      KeySchema:
        - {AttributeName: pk, KeyType: HASH}
        - {AttributeName: at, KeyType: RANGE}
      LocalSecondaryIndexes:
        - IndexName: byAt
          KeySchema: [{AttributeName: pk, KeyType: HASH}, {AttributeName: at, KeyType: RANGE}]
          Projection: {ProjectionType: INCLUDE, NonKeyAttributes: [kind]}
      ProvisionedThroughput: {ReadCapacityUnits: 3, WriteCapacityUnits: 4}
      StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
      Tags: [{Key: team, Value: data}]
",
    );
    let spec = &model.tables[0].spec;
    assert_eq!(spec.name, "Events");
    assert_eq!(
        spec.attribute_definitions[1].attribute_type,
        ScalarType::Number
    );
    assert_eq!(spec.key_schema[1].key_type, KeyType::Range);
    assert_eq!(
        spec.local_secondary_indexes[0].projection,
        Projection::Include(vec!["kind".into()])
    );
    assert_eq!(
        spec.billing,
        Billing::Provisioned(Throughput {
            read_capacity_units: 3,
            write_capacity_units: 4
        })
    );
    assert_eq!(spec.stream, Some(StreamViewType::NewAndOldImages));
    assert_eq!(spec.tags, [("team".to_owned(), "data".to_owned())]);
    assert_eq!(spec.ttl_attribute, None);
}

#[test]
fn a_wrong_key_type_is_reported_at_its_property() {
    let error = super::load_err(
        "Resources:
  T:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: pk, AttributeType: STRING}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
",
    );
    assert!(
        error.contains("Resources.T.Properties.AttributeDefinitions[0].AttributeType"),
        "{error}"
    );
    assert!(error.contains(":5:"), "points at the property: {error}");
    assert!(error.contains("use S, N or B"), "{error}");
}

#[test]
fn deletion_protection_table_class_and_encryption_reach_the_create_table_request() {
    let model = load(
        "Transform: AWS::Serverless-2016-10-31
Conditions:
  Prod: !Equals [prod, prod]
Resources:
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      DeletionProtectionEnabled: !If [Prod, true, false]
      TableClass: STANDARD_INFREQUENT_ACCESS
      SSESpecification: {SSEEnabled: true, SSEType: KMS, KMSMasterKeyId: alias/orders}
  Plain:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      SSESpecification: {SSEEnabled: false}
  Simple:
    Type: AWS::Serverless::SimpleTable
    Properties:
      SSESpecification: {SSEEnabled: true}
",
    );
    let orders = model.tables[0].spec.to_create_table_request();
    assert_eq!(orders["DeletionProtectionEnabled"], true);
    assert_eq!(orders["TableClass"], "STANDARD_INFREQUENT_ACCESS");
    assert_eq!(
        orders["SSESpecification"],
        json!({"Enabled": true, "SSEType": "KMS", "KMSMasterKeyId": "alias/orders"})
    );
    let plain = model.tables[1].spec.to_create_table_request();
    assert!(plain.get("DeletionProtectionEnabled").is_none());
    assert!(plain.get("TableClass").is_none());
    assert!(plain.get("SSESpecification").is_none(), "{plain}");
    let simple = model.tables[2].spec.to_create_table_request();
    assert_eq!(
        simple["SSESpecification"],
        json!({"Enabled": true, "SSEType": "KMS"})
    );
    assert!(model.warnings.is_empty(), "{:?}", model.warnings);
}

#[test]
fn a_table_whose_logical_id_is_too_short_for_dynamodb_gets_the_stacks_prefix() {
    // DynamoDB names have 3 to 255 characters; CloudFormation's generated ones start with the
    // stack's name, so a table `DB` deploys on AWS.
    let model = load(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  DB:
    Type: AWS::Serverless::SimpleTable
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Environment:
        Variables:
          TABLE: !Ref DB
          ARN: !GetAtt DB.Arn
",
    );
    assert_eq!(model.tables[0].name, "sluice-DB");
    let env = &model.functions[0].environment;
    assert_eq!(env["TABLE"], "sluice-DB");
    assert!(env["ARN"].ends_with(":table/sluice-DB"), "{}", env["ARN"]);
}
