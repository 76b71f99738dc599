//! Counts and sums of interactions, and the figures derived from them.

/// Counts and sums over a set of interactions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Interactions.
    pub interactions: i64,
    /// Interactions with a sentiment.
    pub sentiment_n: i64,
    /// Sum of sentiments.
    pub sentiment_sum: i64,
    /// Sentiments above 0.
    pub sentiment_pos: i64,
    /// Sentiments of 0.
    pub sentiment_neu: i64,
    /// Sentiments below 0.
    pub sentiment_neg: i64,
    /// Interactions with a rating.
    pub rating_n: i64,
    /// Sum of ratings.
    pub rating_sum: i64,
    /// Ratings of 4 or 5.
    pub rating_top: i64,
    /// Interactions with an NPS answer.
    pub nps_n: i64,
    /// NPS answers of 9 or 10 (promoters).
    pub nps_promoters: i64,
    /// NPS answers of 0 to 6 (detractors).
    pub nps_detractors: i64,
}

impl Tally {
    /// Adds (`sign` 1) or removes (`sign` -1) one interaction.
    pub fn add(
        &mut self,
        sentiment: Option<i64>,
        rating: Option<i64>,
        nps: Option<i64>,
        sign: i64,
    ) {
        self.interactions += sign;
        if let Some(s) = sentiment {
            self.sentiment_n += sign;
            self.sentiment_sum += sign * s;
            match s {
                1.. => self.sentiment_pos += sign,
                0 => self.sentiment_neu += sign,
                _ => self.sentiment_neg += sign,
            }
        }
        if let Some(r) = rating {
            self.rating_n += sign;
            self.rating_sum += sign * r;
            if r >= 4 {
                self.rating_top += sign;
            }
        }
        if let Some(n) = nps {
            self.nps_n += sign;
            if n >= 9 {
                self.nps_promoters += sign;
            } else if n <= 6 {
                self.nps_detractors += sign;
            }
        }
    }

    /// Adds another tally.
    pub fn merge(&mut self, other: &Tally) {
        self.interactions += other.interactions;
        self.sentiment_n += other.sentiment_n;
        self.sentiment_sum += other.sentiment_sum;
        self.sentiment_pos += other.sentiment_pos;
        self.sentiment_neu += other.sentiment_neu;
        self.sentiment_neg += other.sentiment_neg;
        self.rating_n += other.rating_n;
        self.rating_sum += other.rating_sum;
        self.rating_top += other.rating_top;
        self.nps_n += other.nps_n;
        self.nps_promoters += other.nps_promoters;
        self.nps_detractors += other.nps_detractors;
    }

    fn ratio(part: i64, whole: i64) -> Option<f64> {
        (whole > 0).then(|| part as f64 / whole as f64)
    }

    /// The mean sentiment, among interactions with one.
    pub fn average_sentiment(&self) -> Option<f64> {
        Self::ratio(self.sentiment_sum, self.sentiment_n)
    }

    /// The share of sentiments above 0.
    pub fn positive_share(&self) -> Option<f64> {
        Self::ratio(self.sentiment_pos, self.sentiment_n)
    }

    /// The share of sentiments of 0.
    pub fn neutral_share(&self) -> Option<f64> {
        Self::ratio(self.sentiment_neu, self.sentiment_n)
    }

    /// The share of sentiments below 0.
    pub fn negative_share(&self) -> Option<f64> {
        Self::ratio(self.sentiment_neg, self.sentiment_n)
    }

    /// The mean star rating.
    pub fn average_rating(&self) -> Option<f64> {
        Self::ratio(self.rating_sum, self.rating_n)
    }

    /// CSAT: the share of ratings of 4 or 5 among rated interactions.
    pub fn csat(&self) -> Option<f64> {
        Self::ratio(self.rating_top, self.rating_n)
    }

    /// NPS: the percentage of promoters minus the percentage of detractors.
    pub fn nps(&self) -> Option<f64> {
        (self.nps_n > 0)
            .then(|| 100.0 * (self.nps_promoters - self.nps_detractors) as f64 / self.nps_n as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_figures() {
        let mut t = Tally::default();
        t.add(Some(2), Some(5), Some(10), 1);
        t.add(Some(-1), Some(3), Some(6), 1);
        t.add(None, None, Some(8), 1);
        assert_eq!(t.interactions, 3);
        assert_eq!(t.average_sentiment(), Some(0.5));
        assert_eq!(t.positive_share(), Some(0.5));
        assert_eq!(t.csat(), Some(0.5));
        assert_eq!(t.average_rating(), Some(4.0));
        assert!((t.nps().unwrap() - 0.0).abs() < 1e-12);
        let mut removed = t;
        removed.add(None, None, Some(8), -1);
        assert_eq!(removed.nps_n, 2);
        assert_eq!(Tally::default().nps(), None);
    }
}
