//! Journey templates: the frameworks the seed documents describe, each a list
//! of phases a new journey starts with.

use crate::Stage;

labelled_enum!(
    /// A framework for the phases of a new journey.
    JourneyTemplate {
        /// Awareness, Consideration, Purchase, Service, Loyalty/Advocacy.
        Classic => "CLASSIC",
        /// Awareness, Consideration, Decision, Adoption, Loyalty.
        Decision => "DECISION",
        /// The five A's: Aware, Appeal, Ask, Act, Advocate.
        FiveAs => "FIVE_AS",
        /// Awareness, Consideration, Decision, Post-purchase.
        FourStep => "FOUR_STEP",
        /// No phases: the map is built by hand.
        Empty => "EMPTY",
    }
);

/// One phase a template creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TemplatePhase {
    /// The phase's name.
    pub name: &'static str,
    /// Its canonical stage, so maps built on different templates compare.
    pub stage: Stage,
    /// What happens in it (after the seed documents).
    pub description: &'static str,
}

const fn phase(name: &'static str, stage: Stage, description: &'static str) -> TemplatePhase {
    TemplatePhase {
        name,
        stage,
        description,
    }
}

const AWARENESS: &str =
    "The audience first meets the brand and learns what it does and stands for.";
const CONSIDERATION: &str =
    "The customer knows the brand but compares it with alternatives; show what sets it apart.";
const DECISION: &str = "The customer decides; make the road to conversion as easy as possible.";

const CLASSIC: &[TemplatePhase] = &[
    phase("Awareness", Stage::Awareness, AWARENESS),
    phase("Consideration", Stage::Consideration, CONSIDERATION),
    phase(
        "Purchase",
        Stage::Decision,
        "The customer buys the product or service.",
    ),
    phase(
        "Service",
        Stage::Retention,
        "After the purchase: support, questions and care.",
    ),
    phase(
        "Loyalty/Advocacy",
        Stage::Advocacy,
        "Satisfied customers return and recommend the brand to others.",
    ),
];

const DECISION_FRAMEWORK: &[TemplatePhase] = &[
    phase("Awareness", Stage::Awareness, AWARENESS),
    phase("Consideration", Stage::Consideration, CONSIDERATION),
    phase("Decision", Stage::Decision, DECISION),
    phase(
        "Adoption",
        Stage::Retention,
        "The customer uses the product; be available for questions and problems.",
    ),
    phase(
        "Loyalty",
        Stage::Advocacy,
        "Very satisfied customers tell others; keep in touch with offers and news.",
    ),
];

const FIVE_AS: &[TemplatePhase] = &[
    phase(
        "Aware",
        Stage::Awareness,
        "New customers discover the brand.",
    ),
    phase(
        "Appeal",
        Stage::Consideration,
        "The brand appeals to the customer and makes its pitch.",
    ),
    phase(
        "Ask",
        Stage::Consideration,
        "The customer explores, reads reviews and asks for recommendations.",
    ),
    phase("Act", Stage::Decision, "The customer buys."),
    phase(
        "Advocate",
        Stage::Advocacy,
        "The brand follows up; buyers leave feedback, reviews and ratings.",
    ),
];

const FOUR_STEP: &[TemplatePhase] = &[
    phase("Awareness", Stage::Awareness, "Discovering the brand."),
    phase(
        "Consideration",
        Stage::Consideration,
        "Researching solutions.",
    ),
    phase("Decision", Stage::Decision, "Making a purchase."),
    phase(
        "Post-purchase",
        Stage::Retention,
        "Using the product and giving feedback.",
    ),
];

impl JourneyTemplate {
    /// The phases this template creates, in order.
    pub fn phases(self) -> &'static [TemplatePhase] {
        match self {
            JourneyTemplate::Classic => CLASSIC,
            JourneyTemplate::Decision => DECISION_FRAMEWORK,
            JourneyTemplate::FiveAs => FIVE_AS,
            JourneyTemplate::FourStep => FOUR_STEP,
            JourneyTemplate::Empty => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_follow_the_seed_frameworks() {
        let names = |t: JourneyTemplate| t.phases().iter().map(|p| p.name).collect::<Vec<_>>();
        assert_eq!(
            names(JourneyTemplate::Classic),
            [
                "Awareness",
                "Consideration",
                "Purchase",
                "Service",
                "Loyalty/Advocacy"
            ]
        );
        assert_eq!(
            names(JourneyTemplate::FiveAs),
            ["Aware", "Appeal", "Ask", "Act", "Advocate"]
        );
        assert_eq!(names(JourneyTemplate::FourStep).len(), 4);
        assert!(JourneyTemplate::Empty.phases().is_empty());
    }

    #[test]
    fn every_template_starts_at_awareness_and_never_goes_back_a_stage() {
        for template in JourneyTemplate::ALL {
            let stages: Vec<Stage> = template.phases().iter().map(|p| p.stage).collect();
            if let Some(first) = stages.first() {
                assert_eq!(*first, Stage::Awareness, "{template}");
            }
            assert!(stages.windows(2).all(|w| w[0] <= w[1]), "{template}");
        }
    }
}
