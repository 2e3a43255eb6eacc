//! One subscriber's queue of frames: bounded, one sender (publishing, under the topic's
//! lock) and one receiver (the subscription), with no async runtime.
//!
//! A bounded tokio `mpsc` channel did this job before, at about 1 KiB per subscriber
//! allocated up front (its first block of slots and its padded state). This queue is one
//! small allocation that grows only with the frames waiting, which matters with thousands
//! of mostly idle subscribers.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;

/// Why a frame was not queued.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SendError {
    /// The queue holds its bound already: the subscriber is too slow.
    Full,
    /// The receiver is gone.
    Closed,
}

/// Creates a queue that holds at most `bound` frames.
pub(crate) fn queue(bound: usize) -> (Sender, Receiver) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            frames: VecDeque::new(),
            waker: None,
            sender_gone: false,
            receiver_gone: false,
        }),
        bound,
    });
    (
        Sender {
            shared: Arc::clone(&shared),
        },
        Receiver { shared },
    )
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    bound: usize,
}

#[derive(Debug)]
struct State {
    frames: VecDeque<Bytes>,
    /// The receiver's task, waiting for a frame; taken by the send that wakes it.
    waker: Option<Waker>,
    sender_gone: bool,
    receiver_gone: bool,
}

impl Shared {
    // Nothing panics while holding the lock; if something ever did, the state is still
    // consistent: go on with it.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The publishing end.
#[derive(Debug)]
pub(crate) struct Sender {
    shared: Arc<Shared>,
}

impl Sender {
    /// Queues `frame` and wakes the receiver if it waits, or says why not.
    pub(crate) fn try_send(&self, frame: Bytes) -> Result<(), SendError> {
        let mut state = self.shared.lock();
        if state.receiver_gone {
            return Err(SendError::Closed);
        }
        if state.frames.len() >= self.shared.bound {
            return Err(SendError::Full);
        }
        state.frames.push_back(frame);
        let waker = state.waker.take();
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }
}

impl Drop for Sender {
    /// The receiver gets what is queued, then the end.
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.sender_gone = true;
        let waker = state.waker.take();
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// The subscription's end.
#[derive(Debug)]
pub(crate) struct Receiver {
    shared: Arc<Shared>,
}

impl Receiver {
    /// The next frame; `Ready(None)` once the sender is gone and nothing is left; `Pending`
    /// (and a wake-up later) while the queue is empty.
    pub(crate) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Bytes>> {
        let mut state = self.shared.lock();
        if let Some(frame) = state.frames.pop_front() {
            return Poll::Ready(Some(frame));
        }
        if state.sender_gone {
            return Poll::Ready(None);
        }
        match &mut state.waker {
            Some(waker) => waker.clone_from(cx.waker()),
            None => state.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// How many frames wait.
    pub(crate) fn len(&self) -> usize {
        self.shared.lock().frames.len()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.receiver_gone = true;
        // The frames go now rather than with the sender.
        state.frames = VecDeque::new();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    use super::*;

    /// A waker that counts its wake-ups.
    #[derive(Default)]
    struct Counting(AtomicUsize);

    impl Wake for Counting {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn frame(text: &'static str) -> Bytes {
        Bytes::from_static(text.as_bytes())
    }

    #[test]
    fn frames_come_out_in_order_then_the_end_after_the_sender_goes() {
        let (sender, mut receiver) = queue(4);
        let mut cx = Context::from_waker(Waker::noop());
        sender.try_send(frame("a")).unwrap();
        sender.try_send(frame("b")).unwrap();
        assert_eq!(receiver.len(), 2);
        assert_eq!(receiver.poll_recv(&mut cx), Poll::Ready(Some(frame("a"))));
        drop(sender);
        assert_eq!(receiver.poll_recv(&mut cx), Poll::Ready(Some(frame("b"))));
        assert_eq!(receiver.poll_recv(&mut cx), Poll::Ready(None));
    }

    #[test]
    fn a_full_queue_refuses_and_keeps_what_it_holds() {
        let (sender, receiver) = queue(2);
        sender.try_send(frame("a")).unwrap();
        sender.try_send(frame("b")).unwrap();
        assert_eq!(sender.try_send(frame("c")), Err(SendError::Full));
        assert_eq!(receiver.len(), 2);
    }

    #[test]
    fn a_send_after_the_receiver_goes_is_refused() {
        let (sender, receiver) = queue(2);
        drop(receiver);
        assert_eq!(sender.try_send(frame("a")), Err(SendError::Closed));
    }

    #[test]
    fn a_waiting_receiver_is_woken_once_per_wait() {
        let (sender, mut receiver) = queue(8);
        let counting = Arc::new(Counting::default());
        let waker = Waker::from(Arc::clone(&counting));
        let mut cx = Context::from_waker(&waker);
        assert_eq!(receiver.poll_recv(&mut cx), Poll::Pending);
        sender.try_send(frame("a")).unwrap();
        sender.try_send(frame("b")).unwrap();
        assert_eq!(counting.0.load(Ordering::SeqCst), 1, "woken once for both");
        assert_eq!(receiver.poll_recv(&mut cx), Poll::Ready(Some(frame("a"))));
        assert_eq!(receiver.poll_recv(&mut cx), Poll::Ready(Some(frame("b"))));
        assert_eq!(receiver.poll_recv(&mut cx), Poll::Pending);
        drop(sender);
        assert_eq!(counting.0.load(Ordering::SeqCst), 2, "woken by the end");
        assert_eq!(receiver.poll_recv(&mut cx), Poll::Ready(None));
    }
}
