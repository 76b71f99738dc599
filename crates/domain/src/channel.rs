//! Channels: the roads by which customers meet the brand.

use crate::{ChannelId, Name};

labelled_enum!(
    /// The kind of road a channel is.
    ChannelKind {
        /// A website.
        Web => "WEB",
        /// A mobile app.
        App => "APP",
        /// E-mail.
        Email => "EMAIL",
        /// Social media.
        Social => "SOCIAL",
        /// Search engines.
        Search => "SEARCH",
        /// Paid advertising.
        Advertising => "ADVERTISING",
        /// A physical store.
        Store => "STORE",
        /// The telephone.
        Phone => "PHONE",
        /// Live chat or a chatbot.
        Chat => "CHAT",
        /// Print: magazines, flyers, books.
        Print => "PRINT",
        /// Events and fairs.
        Event => "EVENT",
        /// Anything else.
        Other => "OTHER",
    }
);

/// A stored channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    /// The channel's id.
    pub id: ChannelId,
    /// Its name, unique within the tenant ("Webshop", "Instagram").
    pub name: Name,
    /// Its kind.
    pub kind: ChannelKind,
    /// What it is.
    pub description: Option<String>,
}

/// A validated new channel.
#[derive(Debug, Clone, PartialEq)]
pub struct NewChannel {
    /// Its name.
    pub name: Name,
    /// Its kind.
    pub kind: ChannelKind,
    /// What it is.
    pub description: Option<String>,
}

/// A validated change to a channel.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChannelPatch {
    /// A new name.
    pub name: Option<Name>,
    /// A new kind.
    pub kind: Option<ChannelKind>,
    /// A new description, or none.
    pub description: Option<Option<String>>,
}

impl ChannelPatch {
    /// Applies the patch to `channel`.
    pub fn apply_to(self, channel: &mut Channel) {
        if let Some(name) = self.name {
            channel.name = name;
        }
        if let Some(kind) = self.kind {
            channel.kind = kind;
        }
        if let Some(description) = self.description {
            channel.description = description;
        }
    }
}
