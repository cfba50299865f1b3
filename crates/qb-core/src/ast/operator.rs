//! Filter operators, named as FraiseQL names them.

macro_rules! operators {
    ($($(#[$doc:meta])* $variant:ident = $name:literal $(| $alias:literal)*,)*) => {
        /// A filter operator. What it means depends on the field's type: see the operator
        /// table in docs/query-ast.md. One name may serve several types (`contains` is a
        /// substring test on text, containment on arrays and JSONB).
        ///
        #[doc = include_str!("operators.md")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Operator {
            $($(#[$doc])* $variant,)*
        }

        impl Operator {
            /// Every operator.
            pub const ALL: &'static [Operator] = &[$(Operator::$variant,)*];

            /// The operator's canonical (FraiseQL) name.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Operator::$variant => $name,)*
                }
            }

            /// Looks an operator up by its canonical name or an accepted alias.
            pub fn from_name(name: &str) -> Option<Operator> {
                match name {
                    $($name $(| $alias)* => Some(Operator::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

operators! {
    /// Equal.
    Eq = "eq",
    /// Not equal.
    Neq = "neq",
    /// Greater than.
    Gt = "gt",
    /// Greater than or equal.
    Gte = "gte",
    /// Less than.
    Lt = "lt",
    /// Less than or equal.
    Lte = "lte",
    /// In a list.
    In = "in",
    /// Not in a list.
    Nin = "nin" | "notin" | "not_in",
    /// Is (not) null: `true` tests `IS NULL`, `false` tests `IS NOT NULL`.
    IsNull = "isnull" | "is_null",
    /// Text: substring. Arrays/JSONB: containment.
    Contains = "contains",
    /// Text: prefix.
    StartsWith = "startswith" | "starts_with",
    /// Text: suffix.
    EndsWith = "endswith" | "ends_with",
    /// Text: case-insensitive substring.
    IContains = "icontains",
    /// Text: case-insensitive prefix.
    IStartsWith = "istartswith",
    /// Text: case-insensitive suffix.
    IEndsWith = "iendswith",
    /// Text: SQL LIKE pattern.
    Like = "like",
    /// Text: SQL ILIKE pattern.
    ILike = "ilike",
    /// Text: POSIX regex. tsvector: `to_tsquery` match.
    Matches = "matches",
    /// Text: case-insensitive POSIX regex.
    IMatches = "imatches",
    /// Text: does not match a POSIX regex.
    NotMatches = "not_matches",
    /// tsvector: `plainto_tsquery` match.
    PlainQuery = "plain_query",
    /// tsvector: `phraseto_tsquery` match.
    PhraseQuery = "phrase_query",
    /// tsvector: `websearch_to_tsquery` match.
    WebsearchQuery = "websearch_query",
    /// tsvector: `ts_rank` above a threshold.
    RankGt = "rank_gt",
    /// tsvector: `ts_rank` at least a threshold.
    RankGte = "rank_gte",
    /// tsvector: `ts_rank` below a threshold.
    RankLt = "rank_lt",
    /// tsvector: `ts_rank` at most a threshold.
    RankLte = "rank_lte",
    /// tsvector: `ts_rank_cd` above a threshold.
    RankCdGt = "rank_cd_gt",
    /// tsvector: `ts_rank_cd` at least a threshold.
    RankCdGte = "rank_cd_gte",
    /// tsvector: `ts_rank_cd` below a threshold.
    RankCdLt = "rank_cd_lt",
    /// tsvector: `ts_rank_cd` at most a threshold.
    RankCdLte = "rank_cd_lte",
    /// Arrays/JSONB: contained by.
    ContainedBy = "contained_by",
    /// Arrays: share an element. Date ranges: overlap.
    Overlaps = "overlaps",
    /// Arrays: length equal.
    LenEq = "len_eq",
    /// Arrays: length not equal.
    LenNeq = "len_neq",
    /// Arrays: length greater.
    LenGt = "len_gt",
    /// Arrays: length greater or equal.
    LenGte = "len_gte",
    /// Arrays: length less.
    LenLt = "len_lt",
    /// Arrays: length less or equal.
    LenLte = "len_lte",
    /// Arrays: some element equals.
    AnyEq = "any_eq",
    /// Arrays: every element equals.
    AllEq = "all_eq",
    /// JSONB: contains and is not equal.
    StrictlyContains = "strictly_contains",
    /// JSONB: has a top-level key.
    HasKey = "has_key",
    /// JSONB: has any of the keys.
    HasAnyKeys = "has_any_keys",
    /// JSONB: has all of the keys.
    HasAllKeys = "has_all_keys",
    /// JSONB: a jsonpath returns an item.
    PathExists = "path_exists",
    /// JSONB: a jsonpath predicate is true.
    PathMatch = "path_match",
    /// inet/cidr: inside a subnet.
    InSubnet = "inSubnet" | "in_subnet",
    /// inet/cidr: between two addresses inclusive.
    InRange = "inRange" | "in_range",
    /// inet/cidr: private as FraiseQL means it (RFC 1918, 127/8, 169.254/16, fc00::/7, fe80::/10).
    IsPrivate = "isPrivate" | "is_private",
    /// inet/cidr: none of the special-purpose ranges.
    IsPublic = "isPublic" | "is_public",
    /// inet/cidr: IPv4.
    IsIPv4 = "isIPv4" | "is_ipv4",
    /// inet/cidr: IPv6.
    IsIPv6 = "isIPv6" | "is_ipv6",
    /// inet/cidr: loopback.
    IsLoopback = "isLoopback" | "is_loopback",
    /// inet/cidr: link-local.
    IsLinkLocal = "isLinkLocal" | "is_link_local",
    /// inet/cidr: multicast.
    IsMulticast = "isMulticast" | "is_multicast",
    /// inet/cidr: documentation ranges.
    IsDocumentation = "isDocumentation" | "is_documentation",
    /// inet/cidr: carrier-grade NAT (RFC 6598).
    IsCarrierGrade = "isCarrierGrade" | "is_carrier_grade",
    /// ltree: is an ancestor of (or equal to).
    AncestorOf = "ancestor_of",
    /// ltree: is a descendant of (or equal to).
    DescendantOf = "descendant_of",
    /// ltree: matches an lquery.
    MatchesLquery = "matches_lquery",
    /// ltree: matches an ltxtquery.
    MatchesLtxtquery = "matches_ltxtquery",
    /// ltree: matches any of several lqueries.
    MatchesAnyLquery = "matches_any_lquery",
    /// ltree: depth equal.
    DepthEq = "depth_eq",
    /// ltree: depth not equal.
    DepthNeq = "depth_neq",
    /// ltree: depth greater.
    DepthGt = "depth_gt",
    /// ltree: depth greater or equal.
    DepthGte = "depth_gte",
    /// ltree: depth less.
    DepthLt = "depth_lt",
    /// ltree: depth less or equal.
    DepthLte = "depth_lte",
    /// daterange: contains a date.
    ContainsDate = "contains_date",
    /// daterange: adjacent to.
    Adjacent = "adjacent",
    /// daterange: strictly left of.
    StrictlyLeft = "strictly_left",
    /// daterange: strictly right of.
    StrictlyRight = "strictly_right",
    /// daterange: does not extend to the left of.
    NotLeft = "not_left",
    /// daterange: does not extend to the right of.
    NotRight = "not_right",
    /// vector: cosine distance below a threshold.
    CosineDistance = "cosine_distance",
    /// vector: Euclidean distance below a threshold.
    L2Distance = "l2_distance",
    /// vector: taxicab distance below a threshold.
    L1Distance = "l1_distance",
    /// vector: inner product at least a threshold.
    InnerProduct = "inner_product",
    /// bit: Hamming distance below a threshold.
    HammingDistance = "hamming_distance",
    /// bit: Jaccard distance below a threshold.
    JaccardDistance = "jaccard_distance",
    /// coordinates: great-circle distance within a radius.
    DistanceWithin = "distance_within",
}

#[cfg(test)]
mod tests {
    use super::Operator;

    #[test]
    fn names_round_trip() {
        for op in Operator::ALL {
            assert_eq!(Operator::from_name(op.name()), Some(*op));
        }
        assert_eq!(Operator::from_name("in_subnet"), Some(Operator::InSubnet));
        assert_eq!(Operator::from_name("EQ"), None);
    }
}
