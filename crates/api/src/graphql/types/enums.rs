//! GraphQL enums, mirrored from the domain's enums.

use async_graphql::Enum;

/// Whether a map describes the journey as it is or as it should become.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "journeyd_domain::JourneyState")]
pub enum JourneyState {
    /// The journey customers take today.
    Current,
    /// The journey the organisation is designing.
    Future,
}

/// Where a map is in its life.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "journeyd_domain::JourneyStatus")]
pub enum JourneyStatus {
    /// Being drafted.
    Draft,
    /// In use.
    Active,
    /// Kept for reference.
    Archived,
}

/// A framework for the phases of a new journey (from the seed documents).
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "journeyd_domain::JourneyTemplate")]
pub enum JourneyTemplate {
    /// Awareness, Consideration, Purchase, Service, Loyalty/Advocacy.
    Classic,
    /// Awareness, Consideration, Decision, Adoption, Loyalty.
    Decision,
    /// Aware, Appeal, Ask, Act, Advocate.
    FiveAs,
    /// Awareness, Consideration, Decision, Post-purchase.
    FourStep,
    /// No phases.
    Empty,
}

/// The canonical stage of a phase, comparable across templates.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "journeyd_domain::Stage")]
pub enum Stage {
    /// Discovering a need and the brand.
    Awareness,
    /// Comparing options.
    Consideration,
    /// Choosing and buying.
    Decision,
    /// Using, being served, staying.
    Retention,
    /// Recommending the brand.
    Advocacy,
}

/// An assessed or expected feeling.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "journeyd_domain::Sentiment")]
pub enum Sentiment {
    /// Pleased.
    Positive,
    /// Neither pleased nor displeased.
    Neutral,
    /// Displeased.
    Negative,
}

/// The kind of road a channel is.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "journeyd_domain::ChannelKind")]
pub enum ChannelKind {
    /// A website.
    Web,
    /// A mobile app.
    App,
    /// E-mail.
    Email,
    /// Social media.
    Social,
    /// Search engines.
    Search,
    /// Paid advertising.
    Advertising,
    /// A physical store.
    Store,
    /// The telephone.
    Phone,
    /// Live chat or a chatbot.
    Chat,
    /// Print.
    Print,
    /// Events and fairs.
    Event,
    /// Anything else.
    Other,
}

/// What kind of stimulus a trigger is.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "journeyd_domain::TriggerKind")]
pub enum TriggerKind {
    /// A need the customer feels.
    InternalNeed,
    /// An advertisement.
    Advertisement,
    /// A recommendation by someone trusted.
    Recommendation,
    /// A review or rating read online.
    Review,
    /// A promotion or discount.
    Promotion,
    /// A reminder sent by the brand.
    Reminder,
    /// A life or seasonal event.
    Event,
    /// Anything else.
    Other,
}

/// What kind of research finding an insight is.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "journeyd_domain::InsightKind")]
pub enum InsightKind {
    /// Something that frustrates customers.
    PainPoint,
    /// A chance to improve the journey.
    Opportunity,
    /// Something a customer said.
    Quote,
    /// A survey or interview result.
    Finding,
}

/// How much an insight matters.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "journeyd_domain::Severity")]
pub enum Severity {
    /// Minor.
    Low,
    /// Noticeable.
    Medium,
    /// Important.
    High,
    /// Must be acted on.
    Critical,
}

/// The order of a journey listing.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum JourneyOrderField {
    /// By creation time.
    #[default]
    CreatedAt,
    /// By name.
    Name,
    /// By last change.
    UpdatedAt,
}

/// Ascending or descending.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum OrderDirection {
    /// Smallest first.
    #[default]
    Asc,
    /// Largest first.
    Desc,
}
