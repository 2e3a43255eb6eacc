//! A topic's recent past: its latest frames with their ids, within the retention limits.

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;

use crate::retention::Retention;

/// The frames a topic retains, oldest first, and the id its next event gets.
///
/// Ids are consecutive: every event is appended, and events leave only from the front, so
/// the frame with id `n` sits at index `n - first_kept`.
#[derive(Debug)]
pub(crate) struct Retained {
    frames: VecDeque<RetainedFrame>,
    next_id: u64,
}

#[derive(Debug)]
struct RetainedFrame {
    published_at: Instant,
    frame: Bytes,
}

impl Retained {
    pub(crate) fn new(first_id: u64) -> Self {
        Self {
            frames: VecDeque::new(),
            next_id: first_id,
        }
    }

    /// The id the next event gets.
    pub(crate) fn next_id(&self) -> u64 {
        self.next_id
    }

    pub(crate) fn len(&self) -> usize {
        self.frames.len()
    }

    /// The id of the oldest frame kept ([`next_id`](Self::next_id) when none is).
    pub(crate) fn first_kept(&self) -> u64 {
        self.next_id - self.frames.len() as u64
    }

    /// Lets go of every frame and numbers from `next_id` on: for a relayed topic whose
    /// broker skipped ids.
    pub(crate) fn restart_at(&mut self, next_id: u64) {
        self.frames.clear();
        self.next_id = next_id;
    }

    /// Appends the frame of the event with id [`next_id`](Self::next_id), then lets go of
    /// what `retention` no longer keeps.
    pub(crate) fn append(&mut self, frame: Bytes, now: Instant, retention: &Retention) {
        self.frames.push_back(RetainedFrame {
            published_at: now,
            frame,
        });
        // The first id is at most `MAX_FIRST_ID`, so ids cannot overflow before 2^63 events.
        self.next_id += 1;
        self.expire(now, retention);
    }

    /// Lets go of the frames `retention` no longer keeps at `now`.
    pub(crate) fn expire(&mut self, now: Instant, retention: &Retention) {
        let excess = self.frames.len().saturating_sub(retention.events_limit());
        self.frames.drain(..excess);
        if let Some(max_age) = retention.age_limit() {
            while let Some(oldest) = self.frames.front() {
                if now.saturating_duration_since(oldest.published_at) <= max_age {
                    break;
                }
                self.frames.pop_front();
            }
        }
    }

    /// The frames after the event with id `last_id`, if that is an event a client can resume
    /// after: one whose successors are all still here (the latest event, an event just
    /// before the oldest one kept, or one in between).
    pub(crate) fn after(&self, last_id: u64) -> Option<impl Iterator<Item = &Bytes>> {
        let first_kept = self.first_kept();
        let resume_from = last_id.checked_add(1)?;
        if resume_from < first_kept || resume_from > self.next_id {
            return None;
        }
        // At most `frames.len()`, which is a `usize`.
        let skip = usize::try_from(resume_from - first_kept).ok()?;
        Some(self.frames.range(skip..).map(|retained| &retained.frame))
    }

    /// Every frame kept, oldest first.
    pub(crate) fn all(&self) -> impl Iterator<Item = &Bytes> {
        self.frames.iter().map(|retained| &retained.frame)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn retained_with(ids: std::ops::RangeInclusive<u64>, retention: &Retention) -> Retained {
        let mut retained = Retained::new(*ids.start());
        let now = Instant::now();
        for id in ids {
            retained.append(Bytes::from(id.to_string()), now, retention);
        }
        retained
    }

    fn after(retained: &Retained, last_id: u64) -> Option<Vec<String>> {
        let frames = retained.after(last_id)?;
        Some(
            frames
                .map(|frame| String::from_utf8(frame.to_vec()).unwrap())
                .collect(),
        )
    }

    #[test]
    fn resumes_after_any_id_whose_successors_are_all_kept() {
        let retained = retained_with(1..=10, &Retention::new().max_events(3));
        assert_eq!(retained.len(), 3);
        assert_eq!(after(&retained, 7).unwrap(), ["8", "9", "10"]);
        assert_eq!(after(&retained, 9).unwrap(), ["10"]);
        assert_eq!(after(&retained, 10).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn ids_too_old_or_never_given_cannot_be_resumed() {
        let retained = retained_with(1..=10, &Retention::new().max_events(3));
        assert!(after(&retained, 6).is_none(), "event 7 is gone");
        assert!(after(&retained, 11).is_none(), "not given yet");
        assert!(after(&retained, u64::MAX).is_none());
    }

    #[test]
    fn with_nothing_kept_only_the_latest_id_resumes() {
        let retained = retained_with(5..=9, &Retention::none());
        assert_eq!(retained.len(), 0);
        assert_eq!(after(&retained, 9).unwrap(), Vec::<String>::new());
        assert!(after(&retained, 8).is_none());
    }

    #[test]
    fn a_fresh_topic_resumes_only_from_just_before_its_first_id() {
        let retained = Retained::new(1);
        assert_eq!(after(&retained, 0).unwrap(), Vec::<String>::new());
        assert!(after(&retained, 1).is_none());
        assert!(Retained::new(0).after(0).is_none());
    }

    #[test]
    fn frames_older_than_the_age_limit_expire() {
        let retention = Retention::new().max_age(Duration::from_secs(10));
        let start = Instant::now();
        let mut retained = Retained::new(1);
        for second in 0..5 {
            let frame = Bytes::from(second.to_string());
            retained.append(frame, start + Duration::from_secs(second), &retention);
        }
        retained.expire(start + Duration::from_secs(12), &retention);
        assert_eq!(
            retained.len(),
            3,
            "events of seconds 2, 3 and 4 are 10 s old or less"
        );
        assert_eq!(after(&retained, 2).unwrap(), ["2", "3", "4"]);
        assert!(after(&retained, 1).is_none());
        retained.expire(start + Duration::from_secs(60), &retention);
        assert_eq!(retained.all().count(), 0);
        assert_eq!(retained.next_id(), 6);
    }
}
