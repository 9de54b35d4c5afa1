//! A REST API's resource policy, as API Gateway evaluates it on every request: the IAM statements
//! of `Policy`, `x-amazon-apigateway-policy` or what SAM generates from `Auth.ResourcePolicy`.

use std::net::IpAddr;

/// The statements of one API's resource policy (checked at load: every one is well formed).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResourcePolicy {
    /// `Statement`, in document order.
    pub statements: Vec<PolicyStatement>,
}

/// Whether a statement grants or refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// `Allow`.
    Allow,
    /// `Deny`: wins over any allow.
    Deny,
}

/// One statement of a resource policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyStatement {
    /// `Effect`.
    pub effect: Effect,
    /// `Principal` (or, when `not_principal`, `NotPrincipal`).
    pub principals: Principals,
    /// The statement names the callers it does *not* apply to (`NotPrincipal`).
    pub not_principal: bool,
    /// `Action` (or `NotAction`): `execute-api:Invoke`, with `*` and `?` wildcards.
    pub actions: Vec<String>,
    /// The statement lists `NotAction`.
    pub not_action: bool,
    /// `Resource` (or `NotResource`): execute-api ARNs, `execute-api:/…` shorthand, wildcards.
    pub resources: Vec<String>,
    /// The statement lists `NotResource`.
    pub not_resource: bool,
    /// `Condition`, one entry per operator and key (all must hold).
    pub conditions: Vec<Condition>,
}

/// The callers a statement's `Principal` names.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Principals {
    /// `"*"` or `{"AWS": "*"}`: everyone, anonymous callers included.
    pub anyone: bool,
    /// `{"AWS": [...]}`: account ids, `arn:aws:iam::<account>:root`, user or role ARNs.
    pub aws: Vec<String>,
}

/// One condition: `{operator: {key: values}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// The operator, without its `IfExists` suffix.
    pub operator: ConditionOperator,
    /// `…IfExists`: true when the key is absent from the request.
    pub if_exists: bool,
    /// `ForAnyValue:` or `ForAllValues:`: the operator tests each of the key's values.
    pub set: Option<SetQualifier>,
    /// The context key as written (`aws:SourceIp`); IAM compares keys case-insensitively.
    pub key: String,
    /// The values (any one matching is enough; for a negated operator, none may match).
    pub values: Vec<String>,
}

/// A condition's set qualifier (IAM "Single-valued vs. multivalued context keys").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetQualifier {
    /// `ForAnyValue:`: some value of the key matches; false when the key is absent.
    ForAnyValue,
    /// `ForAllValues:`: every value of the key matches; true when the key is absent.
    ForAllValues,
}

/// The condition operators Sluice evaluates; others are kept by name and refuse the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConditionOperator {
    /// `StringEquals`.
    StringEquals,
    /// `StringNotEquals`.
    StringNotEquals,
    /// `StringEqualsIgnoreCase`.
    StringEqualsIgnoreCase,
    /// `StringNotEqualsIgnoreCase`.
    StringNotEqualsIgnoreCase,
    /// `StringLike` (`*` and `?` wildcards).
    StringLike,
    /// `StringNotLike`.
    StringNotLike,
    /// `ArnEquals` / `ArnLike` (wildcards in both).
    ArnLike,
    /// `ArnNotEquals` / `ArnNotLike`.
    ArnNotLike,
    /// `Bool`.
    Bool,
    /// `Null`: `"true"` holds when the key is absent.
    Null,
    /// `IpAddress` (values checked as IPv4/IPv6 addresses or CIDR blocks at load).
    IpAddress,
    /// `NotIpAddress`.
    NotIpAddress,
    /// `Numeric…`: the key and the values compared as integers or decimals.
    Numeric(Comparison),
    /// `Date…`: the key and the values compared as instants (W3C ISO 8601 or epoch seconds).
    Date(Comparison),
    /// Any other operator (`BinaryEquals`, a misspelling…): not evaluated locally, so a request
    /// it would decide is refused rather than guessed at.
    Unsupported(String),
}

/// How a `Numeric…` or `Date…` operator compares the request's value with the policy's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// `…Equals`.
    Equals,
    /// `…NotEquals`: holds when no value is equal.
    NotEquals,
    /// `…LessThan`: the request's value is less than the policy's.
    LessThan,
    /// `…LessThanEquals`.
    LessThanEquals,
    /// `…GreaterThan`.
    GreaterThan,
    /// `…GreaterThanEquals`.
    GreaterThanEquals,
}

impl Comparison {
    /// The comparison an operator name ends with (`LessThanEquals` in `NumericLessThanEquals`).
    pub fn from_suffix(suffix: &str) -> Option<Comparison> {
        Some(match suffix {
            "Equals" => Comparison::Equals,
            "NotEquals" => Comparison::NotEquals,
            "LessThan" => Comparison::LessThan,
            "LessThanEquals" => Comparison::LessThanEquals,
            "GreaterThan" => Comparison::GreaterThan,
            "GreaterThanEquals" => Comparison::GreaterThanEquals,
            _ => return None,
        })
    }

    /// Whether `request` compared with `policy` satisfies it (`NotEquals` as `Equals`: the
    /// caller negates, as for every negated operator).
    pub fn holds<T: PartialOrd>(self, request: T, policy: T) -> bool {
        match self {
            Comparison::Equals | Comparison::NotEquals => request == policy,
            Comparison::LessThan => request < policy,
            Comparison::LessThanEquals => request <= policy,
            Comparison::GreaterThan => request > policy,
            Comparison::GreaterThanEquals => request >= policy,
        }
    }
}

impl ConditionOperator {
    /// Negated operators hold when the key is absent (IAM: "the condition is true").
    pub fn is_negated(&self) -> bool {
        matches!(
            self,
            ConditionOperator::StringNotEquals
                | ConditionOperator::StringNotEqualsIgnoreCase
                | ConditionOperator::StringNotLike
                | ConditionOperator::ArnNotLike
                | ConditionOperator::NotIpAddress
                | ConditionOperator::Numeric(Comparison::NotEquals)
                | ConditionOperator::Date(Comparison::NotEquals)
        )
    }
}

/// An IPv4 or IPv6 address block (`192.0.2.0/24`, `2001:db8::/32`, or one address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CidrBlock {
    /// The block's address.
    pub address: IpAddr,
    /// The prefix length in bits.
    pub prefix: u8,
}

impl CidrBlock {
    /// Parses `address[/prefix]`; `None` when it is not one.
    pub fn parse(text: &str) -> Option<CidrBlock> {
        let (address, prefix) = match text.trim().split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text.trim(), None),
        };
        let address: IpAddr = address.parse().ok()?;
        let bits = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= bits)?,
            None => bits,
        };
        Some(CidrBlock { address, prefix })
    }

    /// Whether `ip` is in the block (an IPv4-mapped IPv6 address counts as its IPv4 address).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let mask = |bits: u32, prefix: u8| -> u128 {
            match u32::from(prefix) {
                0 => 0,
                p => (u128::MAX >> (128 - bits)) & !((1u128 << (bits - p)) - 1),
            }
        };
        match (self.address, ip.to_canonical()) {
            (IpAddr::V4(block), IpAddr::V4(ip)) => {
                let m = mask(32, self.prefix);
                u128::from(u32::from(block)) & m == u128::from(u32::from(ip)) & m
            }
            (IpAddr::V6(block), IpAddr::V6(ip)) => {
                let m = if self.prefix == 0 {
                    0
                } else {
                    u128::MAX << (128 - u32::from(self.prefix))
                };
                u128::from(block) & m == u128::from(ip) & m
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_contain_their_addresses_only() {
        let block = CidrBlock::parse("127.0.0.0/8").unwrap();
        assert!(block.contains("127.0.0.1".parse().unwrap()));
        assert!(block.contains("::ffff:127.1.2.3".parse().unwrap()));
        assert!(!block.contains("128.0.0.1".parse().unwrap()));
        assert!(CidrBlock::parse("0.0.0.0/0")
            .unwrap()
            .contains("203.0.113.9".parse().unwrap()));
        let one = CidrBlock::parse("192.0.2.7").unwrap();
        assert!(one.contains("192.0.2.7".parse().unwrap()));
        assert!(!one.contains("192.0.2.8".parse().unwrap()));
        let v6 = CidrBlock::parse("2001:db8::/32").unwrap();
        assert!(v6.contains("2001:db8:1::5".parse().unwrap()));
        assert!(!v6.contains("2001:db9::1".parse().unwrap()));
        assert!(!v6.contains("127.0.0.1".parse().unwrap()));
    }

    #[test]
    fn malformed_blocks_are_refused() {
        for text in [
            "10.0.0.0/33",
            "10.0.0/8",
            "not-an-ip",
            "::/129",
            "10.0.0.0/x",
        ] {
            assert_eq!(CidrBlock::parse(text), None, "{text}");
        }
    }
}
