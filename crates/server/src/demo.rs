//! `journeyd serve --demo`: a demo tenant with one journey per template,
//! filled with personas, channels, touchpoints, triggers and insights drawn
//! from the seed documents, and a ready token to explore it.

use anyhow::Context;
use journeyd_api::{AuthConfig, TokenIssuer};
use journeyd_domain::*;
use journeyd_persistence::Store;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

/// The demo tenant's slug.
pub const DEMO_TENANT: &str = "demo";
/// How long the printed demo token is valid.
pub const DEMO_TOKEN_TTL: Duration = Duration::from_secs(24 * 3600);
/// The scopes of the printed demo token.
pub const DEMO_SCOPES: &str = "journeys:read journeys:write interactions:write metrics:read";
/// The query of the printed curl example.
pub const DEMO_QUERY: &str = "{ journeys(first: 5) { totalCount nodes { name template phases { name touchpoints { key name channel { name } } } } } }";

/// What the demo prints once the server listens.
pub struct Demo {
    /// A token for the demo tenant.
    pub token: String,
}

impl Demo {
    /// The text printed at start: token, GraphiQL address and a curl example.
    pub fn banner(&self, addr: SocketAddr) -> String {
        let body = serde_json::json!({ "query": DEMO_QUERY }).to_string();
        format!(
            "\njourneyd demo is ready on http://{addr}\n\n\
             Token (tenant '{DEMO_TENANT}', scopes: {DEMO_SCOPES}; valid 24h):\n{token}\n\n\
             GraphiQL: open http://{addr}/graphql and add the header\n  \
             {{\"Authorization\": \"Bearer {token}\"}}\n\n\
             Try it:\n  curl -s http://{addr}/graphql -H 'Content-Type: application/json' \
             -H 'Authorization: Bearer {token}' -d '{body}'\n",
            token = self.token,
        )
    }
}

/// Creates the demo tenant and its journeys if they are missing, and signs a token.
pub async fn prepare(store: &Store, auth: &AuthConfig) -> anyhow::Result<Demo> {
    let slug = TenantSlug::parse(DEMO_TENANT)?;
    if store.tenant_by_slug(DEMO_TENANT).await?.is_none() {
        let tenant = store
            .create_tenant(slug.clone(), Name::parse("name", "Demo Webshop")?)
            .await?;
        populate(store, tenant.id)
            .await
            .context("cannot fill the demo tenant")?;
        tracing::info!("created the demo tenant with one journey per template");
    }
    let token = TokenIssuer::new(auth.clone()).issue(
        "demo",
        &slug,
        &Scopes::parse(DEMO_SCOPES)?,
        DEMO_TOKEN_TTL,
    )?;
    Ok(Demo { token })
}

fn name(text: &str) -> anyhow::Result<Name> {
    Ok(Name::parse("name", text)?)
}

fn phrases(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

struct PersonaSeed {
    name: &'static str,
    description: &'static str,
    demographics: &'static [(&'static str, &'static str)],
    goals: &'static [&'static str],
    frustrations: &'static [&'static str],
    motivations: &'static [&'static str],
    channels: &'static [ChannelKind],
}

const PERSONAS: &[PersonaSeed] = &[
    PersonaSeed {
        name: "Starter Sam",
        description: "Buys online for the first time; meets the brand through an advert on social media.",
        demographics: &[
            ("Age", "25-34"),
            ("Occupation", "Office worker"),
            ("Location", "Utrecht"),
        ],
        goals: &[
            "Find the right product quickly",
            "Know the full price before paying",
        ],
        frustrations: &[
            "Delivery costs that appear only at checkout",
            "Long contact forms",
        ],
        motivations: &["Reviews by other buyers", "A first-order discount"],
        channels: &[ChannelKind::Social, ChannelKind::Search, ChannelKind::App],
    },
    PersonaSeed {
        name: "Comparing Chris",
        description: "Knows the brand but looks at competitors first and compares their USPs.",
        demographics: &[
            ("Age", "35-44"),
            ("Occupation", "Engineer"),
            ("Location", "Antwerp"),
        ],
        goals: &[
            "Choose the best value",
            "Understand what sets each option apart",
        ],
        frustrations: &[
            "Unclear differences between offers",
            "Reviews that look fake",
        ],
        motivations: &["Clear USPs", "Independent recommendations"],
        channels: &[ChannelKind::Search, ChannelKind::Web, ChannelKind::Social],
    },
    PersonaSeed {
        name: "Loyal Lotte",
        description: "A returning customer who goes straight to the brand's website and recommends it to friends.",
        demographics: &[
            ("Age", "45-54"),
            ("Occupation", "Teacher"),
            ("Location", "Rotterdam"),
        ],
        goals: &[
            "Reorder without effort",
            "Get help fast when something goes wrong",
        ],
        frustrations: &["Waiting on the phone", "Offers only for new customers"],
        motivations: &["Loyalty discounts", "Being treated as a regular"],
        channels: &[ChannelKind::Web, ChannelKind::Email, ChannelKind::Store],
    },
];

const CHANNELS: &[(&str, ChannelKind, &str)] = &[
    (
        "Website",
        ChannelKind::Web,
        "The brand's own website and webshop.",
    ),
    ("Mobile app", ChannelKind::App, "The shopping app."),
    (
        "Newsletter",
        ChannelKind::Email,
        "E-mail to subscribers and buyers.",
    ),
    (
        "Instagram",
        ChannelKind::Social,
        "Posts and adverts on social media.",
    ),
    (
        "Google",
        ChannelKind::Search,
        "Search results and search ads.",
    ),
    (
        "Display ads",
        ChannelKind::Advertising,
        "Paid banners on other sites.",
    ),
    ("Store", ChannelKind::Store, "The physical shop."),
    (
        "Customer service",
        ChannelKind::Phone,
        "The support phone line.",
    ),
    (
        "Chatbot",
        ChannelKind::Chat,
        "The assistant on the website.",
    ),
];

/// A touchpoint of a demo journey: phase index, channel name, key, name, goal, sentiment, conversion.
type TouchpointSeed = (
    usize,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Sentiment,
    bool,
);

struct JourneySeed {
    name: &'static str,
    description: &'static str,
    template: JourneyTemplate,
    state: JourneyState,
    goal: (&'static str, &'static str, f64),
    /// Phases added by hand (for the empty template).
    extra_phases: &'static [(&'static str, Stage)],
    personas: &'static [&'static str],
    touchpoints: &'static [TouchpointSeed],
    triggers: &'static [(Option<usize>, &'static str, TriggerKind)],
    insights: &'static [(&'static str, InsightKind, Severity, &'static str)],
}

const JOURNEYS: &[JourneySeed] = &[
    JourneySeed {
        name: "Webshop purchase",
        description: "From first awareness to advocacy: the five fixed steps of the classic customer journey.",
        template: JourneyTemplate::Classic,
        state: JourneyState::Current,
        goal: ("Raise online conversion", "conversion rate", 0.04),
        extra_phases: &[],
        personas: &["Starter Sam", "Comparing Chris"],
        touchpoints: &[
            (
                0,
                "Instagram",
                "social-ad",
                "Advert on Instagram",
                "Create name recognition",
                Sentiment::Neutral,
                false,
            ),
            (
                0,
                "Google",
                "search-result",
                "Search result",
                "Be found when the need arises",
                Sentiment::Positive,
                false,
            ),
            (
                1,
                "Website",
                "product-page",
                "Product page",
                "Show the USPs next to the competition",
                Sentiment::Positive,
                false,
            ),
            (
                1,
                "Website",
                "reviews",
                "Customer reviews",
                "Build trust",
                Sentiment::Positive,
                false,
            ),
            (
                2,
                "Website",
                "checkout",
                "Checkout",
                "Make the road to conversion easy",
                Sentiment::Negative,
                true,
            ),
            (
                2,
                "Store",
                "store-purchase",
                "Purchase in store",
                "Serve customers who want to see the product",
                Sentiment::Positive,
                true,
            ),
            (
                3,
                "Customer service",
                "support-call",
                "Support call",
                "Answer questions after the purchase",
                Sentiment::Negative,
                false,
            ),
            (
                4,
                "Newsletter",
                "loyalty-mail",
                "Loyalty mail",
                "Offer regulars actions and discounts",
                Sentiment::Positive,
                false,
            ),
        ],
        triggers: &[
            (
                None,
                "A need or problem is realised",
                TriggerKind::InternalNeed,
            ),
            (
                Some(0),
                "Advert on social media",
                TriggerKind::Advertisement,
            ),
            (
                Some(1),
                "Recommendation by a friend",
                TriggerKind::Recommendation,
            ),
        ],
        insights: &[
            (
                "checkout",
                InsightKind::PainPoint,
                Severity::High,
                "Delivery costs appear only at checkout",
            ),
            (
                "product-page",
                InsightKind::Opportunity,
                Severity::Medium,
                "Show the USPs next to the competition",
            ),
            (
                "support-call",
                InsightKind::Quote,
                Severity::Medium,
                "\"I waited twenty minutes before anyone answered.\"",
            ),
        ],
    },
    JourneySeed {
        name: "Service subscription",
        description: "Awareness, consideration, decision, adoption and loyalty of a subscription.",
        template: JourneyTemplate::Decision,
        state: JourneyState::Current,
        goal: ("Keep subscribers longer", "12-month retention", 0.8),
        extra_phases: &[],
        personas: &["Comparing Chris", "Loyal Lotte"],
        touchpoints: &[
            (
                0,
                "Google",
                "search-ad",
                "Search ad",
                "Tell what the service does",
                Sentiment::Neutral,
                false,
            ),
            (
                1,
                "Website",
                "comparison",
                "Comparison page",
                "Show where we differ from competitors",
                Sentiment::Positive,
                false,
            ),
            (
                2,
                "Website",
                "contact-form",
                "Contact form",
                "Easy to fill in",
                Sentiment::Negative,
                true,
            ),
            (
                3,
                "Chatbot",
                "onboarding-chat",
                "Onboarding chat",
                "Be available for questions",
                Sentiment::Positive,
                false,
            ),
            (
                4,
                "Newsletter",
                "member-offer",
                "Member offer",
                "Reward loyal subscribers",
                Sentiment::Positive,
                false,
            ),
        ],
        triggers: &[(
            Some(2),
            "Discount for the first month",
            TriggerKind::Promotion,
        )],
        insights: &[
            (
                "contact-form",
                InsightKind::PainPoint,
                Severity::Critical,
                "The contact form asks for too much",
            ),
            (
                "onboarding-chat",
                InsightKind::Finding,
                Severity::Low,
                "Most questions come in the first week",
            ),
        ],
    },
    JourneySeed {
        name: "Marketplace discovery",
        description: "The five A's: aware, appeal, ask, act and advocate on a marketplace.",
        template: JourneyTemplate::FiveAs,
        state: JourneyState::Future,
        goal: (
            "More reviews after purchase",
            "share of buyers leaving a review",
            0.25,
        ),
        extra_phases: &[],
        personas: &["Starter Sam"],
        touchpoints: &[
            (
                0,
                "Display ads",
                "sponsored-product",
                "Sponsored product",
                "Help customers find the product",
                Sentiment::Neutral,
                false,
            ),
            (
                1,
                "Instagram",
                "brand-story",
                "Brand story",
                "Make the pitch",
                Sentiment::Positive,
                false,
            ),
            (
                2,
                "Website",
                "ratings",
                "Ratings and reviews",
                "Answer the customer's questions",
                Sentiment::Positive,
                false,
            ),
            (
                3,
                "Website",
                "buy-box",
                "Buy box",
                "Make buying easy",
                Sentiment::Positive,
                true,
            ),
            (
                4,
                "Newsletter",
                "thank-you",
                "Thank-you e-mail",
                "Ask for feedback and a review",
                Sentiment::Positive,
                false,
            ),
        ],
        triggers: &[(Some(2), "Reviews read", TriggerKind::Review)],
        insights: &[(
            "thank-you",
            InsightKind::Opportunity,
            Severity::High,
            "Ask for a review in the thank-you e-mail",
        )],
    },
    JourneySeed {
        name: "App purchase",
        description: "Multi-device: app download, cart, registration, delivery and tracking, then a five-star rating.",
        template: JourneyTemplate::FourStep,
        state: JourneyState::Current,
        goal: (
            "Faster checkout in the app",
            "median checkout time (s)",
            90.0,
        ),
        extra_phases: &[],
        personas: &["Starter Sam", "Loyal Lotte"],
        touchpoints: &[
            (
                0,
                "Mobile app",
                "app-download",
                "App download",
                "Get the app installed",
                Sentiment::Neutral,
                false,
            ),
            (
                1,
                "Mobile app",
                "add-to-cart",
                "Add to cart",
                "Keep the choice simple",
                Sentiment::Positive,
                false,
            ),
            (
                2,
                "Mobile app",
                "registration",
                "Registration",
                "Register in one step",
                Sentiment::Negative,
                false,
            ),
            (
                2,
                "Mobile app",
                "app-checkout",
                "App checkout",
                "Pay in seconds",
                Sentiment::Positive,
                true,
            ),
            (
                3,
                "Mobile app",
                "tracking",
                "Delivery tracking",
                "Show where the parcel is",
                Sentiment::Positive,
                false,
            ),
            (
                3,
                "Mobile app",
                "rating",
                "Five-star rating",
                "Collect feedback",
                Sentiment::Positive,
                false,
            ),
        ],
        triggers: &[(Some(3), "Delivery notification", TriggerKind::Reminder)],
        insights: &[(
            "registration",
            InsightKind::PainPoint,
            Severity::High,
            "Registration before paying makes people leave",
        )],
    },
    JourneySeed {
        name: "Customer service contact",
        description: "The path that brings customers to contact customer service for help.",
        template: JourneyTemplate::Empty,
        state: JourneyState::Current,
        goal: (
            "Solve questions at first contact",
            "first-contact resolution",
            0.75,
        ),
        extra_phases: &[
            ("Problem", Stage::Retention),
            ("Contact", Stage::Retention),
            ("Resolution", Stage::Retention),
            ("Follow-up", Stage::Advocacy),
        ],
        personas: &["Loyal Lotte"],
        touchpoints: &[
            (
                0,
                "Website",
                "faq",
                "FAQ page",
                "Answer common questions",
                Sentiment::Neutral,
                false,
            ),
            (
                1,
                "Chatbot",
                "chat",
                "Chat",
                "Help at once",
                Sentiment::Positive,
                false,
            ),
            (
                1,
                "Customer service",
                "phone",
                "Phone call",
                "Help when chat cannot",
                Sentiment::Negative,
                false,
            ),
            (
                2,
                "Newsletter",
                "confirmation",
                "Resolution e-mail",
                "Confirm what was done",
                Sentiment::Positive,
                false,
            ),
            (
                3,
                "Newsletter",
                "satisfaction-survey",
                "Satisfaction survey",
                "Learn what to improve",
                Sentiment::Neutral,
                false,
            ),
        ],
        triggers: &[(
            Some(0),
            "Something goes wrong with an order",
            TriggerKind::Event,
        )],
        insights: &[(
            "phone",
            InsightKind::PainPoint,
            Severity::High,
            "Recurring complaints about waiting times",
        )],
    },
];

async fn populate(store: &Store, tenant: TenantId) -> anyhow::Result<()> {
    let mut personas = HashMap::new();
    for seed in PERSONAS {
        let demographics: Vec<(String, String)> = seed
            .demographics
            .iter()
            .map(|(l, v)| ((*l).to_owned(), (*v).to_owned()))
            .collect();
        let persona = store
            .create_persona(
                tenant,
                NewPersona {
                    name: name(seed.name)?,
                    description: Some(seed.description.to_owned()),
                    demographics: LabeledValue::parse_list("demographics", &demographics)?,
                    goals: phrases(seed.goals),
                    frustrations: phrases(seed.frustrations),
                    motivations: phrases(seed.motivations),
                    preferred_channels: seed.channels.to_vec(),
                },
            )
            .await?;
        personas.insert(seed.name, persona.id);
    }
    let mut channels = HashMap::new();
    for (channel_name, kind, description) in CHANNELS {
        let channel = store
            .create_channel(
                tenant,
                NewChannel {
                    name: name(channel_name)?,
                    kind: *kind,
                    description: Some((*description).to_owned()),
                },
            )
            .await?;
        channels.insert(*channel_name, channel.id);
    }
    for seed in JOURNEYS {
        populate_journey(store, tenant, seed, &personas, &channels).await?;
    }
    Ok(())
}

async fn populate_journey(
    store: &Store,
    tenant: TenantId,
    seed: &JourneySeed,
    personas: &HashMap<&str, PersonaId>,
    channels: &HashMap<&str, ChannelId>,
) -> anyhow::Result<()> {
    let persona_ids: Vec<PersonaId> = seed
        .personas
        .iter()
        .filter_map(|p| personas.get(p).copied())
        .collect();
    let journey = store
        .create_journey(
            tenant,
            NewJourney {
                name: name(seed.name)?,
                description: Some(seed.description.to_owned()),
                goal: Some(JourneyGoal::parse(
                    seed.goal.0,
                    Some(seed.goal.1),
                    Some(seed.goal.2),
                    None,
                )?),
                state: seed.state,
                status: JourneyStatus::Active,
                template: seed.template,
            },
            &persona_ids,
        )
        .await?;
    for (phase_name, stage) in seed.extra_phases {
        let phase = NewPhase {
            name: name(phase_name)?,
            stage: *stage,
            description: None,
            customer_goals: vec![],
            questions: vec![],
            expected_emotion: None,
        };
        store.add_phase(tenant, journey.id, phase, None).await?;
    }
    let phases = store.phases_of_journeys(tenant, &[journey.id]).await?;
    let phase = |index: usize| {
        phases
            .get(index)
            .map(|p| p.id)
            .with_context(|| format!("journey '{}' has no phase {index}", seed.name))
    };
    let mut touchpoints = HashMap::new();
    for (index, channel, key, tp_name, goal, sentiment, conversion) in seed.touchpoints {
        let channel = *channels
            .get(channel)
            .with_context(|| format!("no demo channel '{channel}'"))?;
        let touchpoint = store
            .create_touchpoint(
                tenant,
                NewTouchpoint {
                    phase_id: phase(*index)?,
                    channel_id: channel,
                    key: TouchpointKey::parse(key)?,
                    name: name(tp_name)?,
                    description: None,
                    owner: Some("Marketing".to_owned()),
                    goal: Some((*goal).to_owned()),
                    kpi: None,
                    sentiment: Some(*sentiment),
                    is_conversion: *conversion,
                },
                None,
            )
            .await?;
        touchpoints.insert(*key, touchpoint.id);
    }
    for (index, trigger_name, kind) in seed.triggers {
        let phase_id = index.map(phase).transpose()?;
        let trigger = NewTrigger {
            phase_id,
            name: name(trigger_name)?,
            description: None,
            kind: *kind,
        };
        store.create_trigger(tenant, journey.id, trigger).await?;
    }
    for (key, kind, severity, title) in seed.insights {
        let touchpoint = *touchpoints
            .get(key)
            .with_context(|| format!("no demo touchpoint '{key}'"))?;
        let insight = NewInsight {
            target: InsightTarget::Touchpoint(touchpoint),
            kind: *kind,
            title: name(title)?,
            description: None,
            severity: *severity,
            source: Some("customer interviews".to_owned()),
        };
        store.create_insight(tenant, journey.id, insight).await?;
    }
    Ok(())
}
