//! Relations between views, declared by SQL columns: many-to-one (`v_post.fk_author ->
//! v_user.id`), one-to-many (the reverse), many-to-many through a join view. Keys may be
//! composite. docs/query-ast.md ("Relations") has the registry form and the meanings.

use crate::sql::{SqlFragment, SqlWriter};

/// How many rows of the related view a row relates to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RelationKind {
    /// At most one (`post.author`): selected as an object or `null`.
    ManyToOne,
    /// Any number (`user.posts`): selected as a list.
    OneToMany,
    /// Any number, through a join view (`post.likers` through `v_post_like`): a list.
    ManyToMany,
}

impl RelationKind {
    /// The registry name: `many_to_one`, `one_to_many`, `many_to_many`.
    pub fn name(self) -> &'static str {
        match self {
            RelationKind::ManyToOne => "many_to_one",
            RelationKind::OneToMany => "one_to_many",
            RelationKind::ManyToMany => "many_to_many",
        }
    }

    /// The kind for a registry name.
    pub fn from_name(name: &str) -> Option<RelationKind> {
        match name {
            "many_to_one" => Some(RelationKind::ManyToOne),
            "one_to_many" => Some(RelationKind::OneToMany),
            "many_to_many" => Some(RelationKind::ManyToMany),
            _ => None,
        }
    }

    /// Whether the relation is selected as a list (one-to-many, many-to-many).
    pub fn is_list(self) -> bool {
        !matches!(self, RelationKind::ManyToOne)
    }
}

/// Pairs of columns that must be equal: this view's column, the next view's column.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Join {
    pub(crate) pairs: Vec<(String, String)>,
    /// The pairs as quoted identifiers, rendered when the view joins a `Schema`.
    pub(crate) sql: Box<[(SqlFragment, SqlFragment)]>,
}

impl Join {
    fn new(pairs: &[(&str, &str)]) -> Join {
        Join {
            pairs: pairs
                .iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect(),
            sql: Box::default(),
        }
    }

    pub(crate) fn render(&mut self) {
        self.sql = self
            .pairs
            .iter()
            .map(|(a, b)| (SqlWriter::column(a), SqlWriter::column(b)))
            .collect();
    }
}

/// A relation of a view to another (the *target*), by SQL columns.
///
/// `#[non_exhaustive]`: build one with [`RelationDef::many_to_one`],
/// [`RelationDef::one_to_many`] or [`RelationDef::many_to_many`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RelationDef {
    pub(crate) kind: RelationKind,
    /// The target view's registry key.
    pub(crate) view: String,
    /// This view's columns and the next view's (the target's, or the join view's).
    pub(crate) join: Join,
    /// For many-to-many: the join view's key and its columns paired with the target's.
    pub(crate) through: Option<(String, Join)>,
}

impl RelationDef {
    /// Each row relates to the row of `view` whose columns equal this view's: `join` pairs
    /// (this view's column, `view`'s column), e.g. `[("fk_author", "id")]`.
    pub fn many_to_one(view: &str, join: &[(&str, &str)]) -> Self {
        RelationDef {
            kind: RelationKind::ManyToOne,
            view: view.to_owned(),
            join: Join::new(join),
            through: None,
        }
    }

    /// Each row relates to the rows of `view` whose columns equal this view's, e.g.
    /// `[("id", "fk_post")]`.
    pub fn one_to_many(view: &str, join: &[(&str, &str)]) -> Self {
        RelationDef {
            kind: RelationKind::OneToMany,
            ..RelationDef::many_to_one(view, join)
        }
    }

    /// Each row relates to the rows of `view` that a row of the join view `through` pairs
    /// it with: `join` pairs this view's columns with `through`'s (`[("id", "fk_post")]`),
    /// `through_join` pairs `through`'s columns with `view`'s (`[("fk_user", "id")]`).
    pub fn many_to_many(
        view: &str,
        join: &[(&str, &str)],
        through: &str,
        through_join: &[(&str, &str)],
    ) -> Self {
        RelationDef {
            kind: RelationKind::ManyToMany,
            view: view.to_owned(),
            join: Join::new(join),
            through: Some((through.to_owned(), Join::new(through_join))),
        }
    }

    /// Its kind.
    pub fn kind(&self) -> RelationKind {
        self.kind
    }

    /// The target view's registry key.
    pub fn view(&self) -> &str {
        &self.view
    }

    pub(crate) fn render(&mut self) {
        self.join.render();
        if let Some((_, j)) = &mut self.through {
            j.render();
        }
    }
}
