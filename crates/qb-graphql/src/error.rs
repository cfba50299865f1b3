//! Errors in the GraphQL spec's shape: `message`, `locations`, `path`, and our code in
//! `extensions.code`.

use std::fmt;

use qb_core::ErrorKind;

/// A place in the request document (1-based, as the GraphQL spec counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub column: usize,
}

/// One GraphQL error (<https://spec.graphql.org/October2021/#sec-Errors>).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphqlError {
    /// Our stable code (docs/errors.md): `QB_GRAPHQL_INVALID` for a request GraphQL itself
    /// refuses, the qb-core code (`QB_UNKNOWN_FIELD`, `QB_INVALID_VALUE`…) otherwise.
    pub kind: ErrorKind,
    /// A sentence for the person who wrote the request.
    pub message: String,
    /// Where in the document.
    pub locations: Vec<Location>,
    /// The response path of the field the error belongs to (response keys), empty for a
    /// request error.
    pub path: Vec<String>,
    /// For an error of qb-core: the path of the offending node in the query AST the field
    /// was compiled to (`select[1].where.age.gte`), kept for logs.
    pub ast_path: Option<String>,
}

impl GraphqlError {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        GraphqlError {
            kind,
            message: message.into(),
            locations: Vec::new(),
            path: Vec::new(),
            ast_path: None,
        }
    }

    pub(crate) fn at(mut self, location: Option<Location>) -> Self {
        self.locations.extend(location);
        self
    }

    /// The stable code, e.g. `QB_GRAPHQL_INVALID`.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }

    /// The error as a GraphQL response error object (JSON text):
    /// `{"message", "locations"?, "path"?, "extensions": {"code", "astPath"?}}`.
    pub fn to_json(&self) -> String {
        use qb_core::Value as V;
        let mut entries = vec![("message".to_owned(), V::Str(self.message.clone()))];
        if !self.locations.is_empty() {
            let locs = self
                .locations
                .iter()
                .map(|l| {
                    V::Object(vec![
                        ("line".into(), V::Int(l.line as i64)),
                        ("column".into(), V::Int(l.column as i64)),
                    ])
                })
                .collect();
            entries.push(("locations".into(), V::List(locs)));
        }
        if !self.path.is_empty() {
            let path = self.path.iter().map(|p| V::Str(p.clone())).collect();
            entries.push(("path".into(), V::List(path)));
        }
        let mut ext = vec![("code".to_owned(), V::Str(self.code().into()))];
        if let Some(p) = &self.ast_path {
            ext.push(("astPath".into(), V::Str(p.clone())));
        }
        entries.push(("extensions".into(), V::Object(ext)));
        V::Object(entries).to_json()
    }
}

impl fmt::Display for GraphqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message)?;
        if let Some(l) = self.locations.first() {
            write!(f, " (line {}, column {})", l.line, l.column)?;
        }
        Ok(())
    }
}

impl std::error::Error for GraphqlError {}

/// Every error of a refused request (GraphQL validation reports all it finds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphqlErrors(pub Vec<GraphqlError>);

impl GraphqlErrors {
    /// The `errors` array of a GraphQL response (JSON text).
    pub fn to_json(&self) -> String {
        let items: Vec<String> = self.0.iter().map(GraphqlError::to_json).collect();
        format!("[{}]", items.join(","))
    }

    /// The first error (there is always one).
    pub fn first(&self) -> &GraphqlError {
        &self.0[0]
    }
}

impl fmt::Display for GraphqlErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for GraphqlErrors {}

impl From<GraphqlError> for GraphqlErrors {
    fn from(e: GraphqlError) -> Self {
        GraphqlErrors(vec![e])
    }
}
