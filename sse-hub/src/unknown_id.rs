//! What a client whose `Last-Event-ID` cannot be resumed gets.

use ssekit_core::Event;

/// What a subscriber gets when its `Last-Event-ID` cannot be resumed: an id this hub never
/// gave (from another server, or from before a restart), or one so old that events after it
/// are no longer retained.
///
/// An absent or empty `Last-Event-ID` is no unknown id: that subscriber starts with the next
/// live event.
///
/// # Example
///
/// ```
/// use ssekit_core::Event;
/// use ssekit_hub::{HubConfig, OnUnknownId};
///
/// let marker = Event::new("some events were lost; reload").with_event_type("reset")?;
/// let config = HubConfig::new().on_unknown_id(OnUnknownId::Marker(marker));
/// # let _ = config;
/// assert_eq!(OnUnknownId::default(), OnUnknownId::ReplayAll);
/// # Ok::<(), ssekit_core::FieldError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum OnUnknownId {
    /// Start with the next live event, as if the client had sent no id: it never learns
    /// that it missed events.
    StartLive,
    /// Replay every retained event, then the live ones (the default): the client gets as
    /// much of what it missed as there is, and may see some events it saw before a restart
    /// of the server.
    #[default]
    ReplayAll,
    /// Send this event first, so that the client sees that it missed events (give it an
    /// event type the page listens for, and no id), then replay every retained event, then
    /// the live ones.
    Marker(Event),
}
