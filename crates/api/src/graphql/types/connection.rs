//! Relay connections with opaque keyset cursors.

use super::{Customer, Interaction, Journey, Persona};
use async_graphql::SimpleObject;

/// Where a page sits in the whole list.
#[derive(SimpleObject, Debug, Clone, Default)]
pub struct PageInfo {
    /// Whether items follow this page.
    pub has_next_page: bool,
    /// Whether items precede this page.
    pub has_previous_page: bool,
    /// The cursor of the first item of the page.
    pub start_cursor: Option<String>,
    /// The cursor of the last item of the page.
    pub end_cursor: Option<String>,
}

/// Declares the connection and edge types of one node type.
macro_rules! connection {
    ($connection:ident, $edge:ident, $node:ty, $what:literal) => {
        #[doc = concat!("One ", $what, " of a page, with its cursor.")]
        #[derive(SimpleObject)]
        pub struct $edge {
            /// Where this item sits: pass it as `after` or `before`.
            pub cursor: String,
            /// The item.
            pub node: $node,
        }

        #[doc = concat!("A page of ", $what, "s.")]
        #[derive(SimpleObject)]
        pub struct $connection {
            /// The items of the page with their cursors.
            pub edges: Vec<$edge>,
            /// The items of the page.
            pub nodes: Vec<$node>,
            /// Where the page sits.
            pub page_info: PageInfo,
            /// How many items the whole list holds (counted only when asked for).
            pub total_count: i64,
        }

        impl $connection {
            /// A page of `items` with their cursors.
            pub fn new(
                items: Vec<(String, $node)>,
                has_next_page: bool,
                has_previous_page: bool,
                total_count: i64,
            ) -> Self {
                let page_info = PageInfo {
                    has_next_page,
                    has_previous_page,
                    start_cursor: items.first().map(|(c, _)| c.clone()),
                    end_cursor: items.last().map(|(c, _)| c.clone()),
                };
                let nodes = items.iter().map(|(_, n)| n.clone()).collect();
                let edges = items
                    .into_iter()
                    .map(|(cursor, node)| $edge { cursor, node })
                    .collect();
                Self {
                    edges,
                    nodes,
                    page_info,
                    total_count,
                }
            }
        }
    };
}

connection!(JourneyConnection, JourneyEdge, Journey, "journey");
connection!(PersonaConnection, PersonaEdge, Persona, "persona");
connection!(CustomerConnection, CustomerEdge, Customer, "customer");
connection!(
    InteractionConnection,
    InteractionEdge,
    Interaction,
    "interaction"
);
