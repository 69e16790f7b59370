//! One call as a state machine, in str0m's shape: inputs (signaling events,
//! peer-connection events, the application's commands) and the time go in,
//! actions come out. No I/O, no tasks, no locks: the driver
//! (`crate::driver`) carries the actions out against `webrtc` and feeds the
//! results back in, and the tests step two machines against each other.
//!
//! One peer connection at a time; `generation` names it, so that late events
//! of a closed one are told from the current one's.

mod consent;
mod report;
mod restart;
#[cfg(test)]
mod sim;
#[cfg(test)]
mod tests;

pub use consent::{OurRecording, RecordingEnd, RecordingView, TheirRecording, ANSWER_WITHIN};
pub use restart::RestartPolicy;

use consent::{Consent, ConsentOut};
pub use report::ReportIdentity;
use report::ReportMeter;

use crate::negotiation::{Decision, DescriptionKind, Negotiator};
use crate::stats::{CallStats, Sample, StatsMeter};
use mentorlive_protocol::analytics::EndReason;
use mentorlive_protocol::peer_messages::{
    ChatMessage, DataMessage, IceCandidate, MediaState, ScreenShare, SignalData,
};
use mentorlive_protocol::signaling::{Joined, LeaveReason, PeerInfo, PeerLeft, PeerUser};
use mentorlive_protocol::ErrorCode;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Where the call is, as the application shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum CallState {
    WaitingForPeer,
    Connecting,
    Connected,
    /// The media path is down; the engine is restarting ICE.
    Reconnecting,
    Ended,
}

/// What the call tells the application.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum CallEvent {
    Joined {
        session_id: String,
        peer_id: String,
        polite: bool,
    },
    PeerPresent {
        peer_id: String,
        user: PeerUser,
    },
    PeerLeft {
        peer_id: String,
        reason: LeaveReason,
    },
    State {
        state: CallState,
    },
    /// The signaling connection's state, in words ("reconnecting in 500 ms").
    Signaling {
        state: String,
    },
    /// The partner's decoder needs a keyframe: make the next frame one.
    KeyframeRequested,
    /// The same for our screen share's encoder.
    ScreenKeyframeRequested,
    /// The bitrate congestion control allows now, for the encoder.
    TargetBitrate {
        bps: u64,
    },
    Stats {
        stats: CallStats,
    },
    /// A chat line from the partner (each `id` once).
    Chat {
        message: ChatMessage,
    },
    /// The partner's microphone, camera and screen.
    PartnerMedia {
        state: MediaState,
    },
    /// The partner started or stopped sharing a screen.
    PartnerScreen {
        share: ScreenShare,
    },
    /// Recording consent changed: ours, the partner's of us, what ended.
    Recording {
        recording: RecordingView,
    },
    /// Our recording's file is complete.
    RecordingSaved {
        saved: SavedRecording,
    },
    /// Our recording could not start or go on, in words.
    RecordingFailed {
        message: String,
    },
    /// This device was replaced by the same user joining elsewhere.
    Replaced,
    /// The call ended: its figures, for the platform (`callReport`). The
    /// application adds the person's rating, if any, and sends it.
    Report {
        report: Box<mentorlive_protocol::analytics::CallReport>,
    },
}

/// A finished recording, as the application lists it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SavedRecording {
    pub path: String,
    /// The chat beside it (WebVTT), if anyone wrote.
    #[cfg_attr(feature = "ts", ts(optional))]
    pub chat_path: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub duration_ms: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes: u64,
    /// Stopped because the disk was nearly full.
    pub disk_full: bool,
}

/// What the peer connection (or its driver, finishing an action) reports.
#[derive(Debug, Clone, PartialEq)]
pub enum PeerInput {
    /// A local candidate to trickle; `None`: gathering is complete.
    LocalCandidate(Option<IceCandidate>),
    /// ICE's view of the media path: up (connected/completed) or down
    /// (disconnected/failed). Other ICE states are not reported.
    IcePath {
        up: bool,
    },
    /// The connection as a whole: connected, or down (disconnected/failed).
    Connection {
        connected: bool,
    },
    /// `MakeOffer` finished: the offer is the local description.
    OfferReady {
        sdp: String,
    },
    OfferFailed,
    /// `ApplyRemote` finished.
    RemoteApplied,
    RemoteFailed,
    /// `MakeAnswer` finished: the answer is the local description.
    AnswerReady {
        sdp: String,
    },
    AnswerFailed,
    /// The data channel opened.
    DataOpen,
    /// A `SendData` did not go (the channel was not ready after all): it
    /// waits for the channel again.
    DataNotSent(DataMessage),
    /// A text message on the data channel.
    DataText(String),
    /// The partner asked for a keyframe over RTCP (PLI or FIR).
    KeyframeWanted,
    /// Congestion control cut its target (`congestion.rs`): the encoder
    /// hears it now, not with the next second's figures, up to a second
    /// during which it would go on filling a link that narrowed.
    TargetCut {
        bps: u64,
    },
    /// The same, on our screen share's track.
    ScreenKeyframeWanted,
    /// After a local description was set: the mid of our screen share's
    /// transceiver, once it has one (it is in a negotiated description).
    ScreenMid(Option<String>),
}

/// What the application asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// A chat line, with its id and time already made (the machine makes
    /// neither randomness nor wall-clock time).
    SendChat(ChatMessage),
    /// Our microphone, camera and screen, for the partner (re-sent after
    /// each reconnect).
    SetMedia(MediaState),
    /// Any other data-channel message (screen, record).
    SendData(DataMessage),
    /// Our decoder lost its reference: ask the partner for a keyframe.
    RequestKeyframe,
    /// The same for the partner's screen share.
    RequestScreenKeyframe,
    /// Start (true) or stop sharing our screen: a video track on its own
    /// transceiver, renegotiated, announced with its mid.
    ShareScreen(bool),
    /// Ask the partner's consent to record (`id` fresh for it); recording
    /// starts when they accept.
    RequestRecording {
        id: String,
    },
    /// Our user's answer to the partner's request.
    AnswerRecording {
        accept: bool,
    },
    /// Stop our recording (or withdraw our unanswered request).
    StopRecording,
    /// Withdraw our consent to the partner's recording.
    RevokeRecording,
    RestartIce,
    HangUp,
}

/// Everything that goes in.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// Back in the room after the signaling connection dropped.
    Rejoined(Joined),
    RejoinFailed(ErrorCode),
    PeerJoined(PeerInfo),
    PeerLeft(PeerLeft),
    Signal {
        from: String,
        data: SignalData,
    },
    /// A `Signal` action could not be sent (the socket was down): it is sent
    /// again after the rejoin, since the server keeps nothing for a sender.
    SignalFailed {
        to: String,
        data: SignalData,
    },
    /// The signaling connection's state, in words.
    SignalingState(String),
    /// An event of peer connection `generation`.
    Peer {
        generation: u64,
        input: PeerInput,
    },
    /// Figures the driver read after a `CollectStats`.
    Stats(Sample),
    /// The recorder could not start, or stopped by itself (a full disk).
    RecorderFailed,
    Command(Command),
}

/// Everything that comes out, for the driver to carry out in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Close the current peer connection (if any) and build a new one.
    NewPeer {
        generation: u64,
    },
    ClosePeer,
    /// Create an offer and set it as the local description (after
    /// `restartIce()` when asked); answer with `OfferReady`/`OfferFailed`.
    MakeOffer {
        ice_restart: bool,
    },
    /// Roll our offer back first when asked, then set the remote
    /// description; answer with `RemoteApplied`/`RemoteFailed`.
    ApplyRemote {
        kind: DescriptionKind,
        sdp: String,
        rollback_first: bool,
    },
    /// Create an answer and set it locally; answer with `AnswerReady`/`AnswerFailed`.
    MakeAnswer,
    AddCandidate(IceCandidate),
    Signal {
        to: String,
        data: SignalData,
    },
    SendData(DataMessage),
    /// Point the media pumps at the connection's tracks (after it connects).
    StartSending,
    /// Whether the pumps send (false while the path is down: frames would
    /// only queue in the pacer and arrive seconds late).
    SetPathUp(bool),
    /// Send RTCP PLI on the partner's video.
    SendPli,
    /// Send RTCP PLI on the partner's screen share.
    SendScreenPli,
    /// Send our screen on a transceiver of its own (a new m-line the first
    /// time, direction sendonly; the same one again after a stop).
    /// Negotiation follows.
    AttachScreen,
    /// Stop sending on it (direction inactive, as the contract says).
    /// Negotiation follows.
    DetachScreen,
    /// Frames of the partner's track with this mid are the screen share
    /// (`None`: no share).
    RouteScreen(Option<String>),
    /// Read the figures and answer with `Input::Stats`.
    CollectStats,
    /// Start recording (the partner accepted); answer `RecorderFailed` if
    /// it cannot.
    StartRecorder,
    /// Stop recording and complete the file.
    StopRecorder,
    /// Leave the room on signaling (`live:leave`).
    Leave,
    Emit(CallEvent),
    /// The call is over: stop.
    Stop,
}

/// How often the machine reports figures.
pub const STATS_INTERVAL: Duration = Duration::from_secs(1);
/// Chat ids remembered for dropping resends.
const SEEN_CHAT_IDS: usize = 512;
/// Data-channel messages held while the channel is not open.
const DATA_BACKLOG: usize = 64;
/// After the channel opens, the media state (and a screen share's
/// announcement) goes once more this much later:
/// webrtc 0.21 can lose a message sent in the instant a channel opens (the
/// receiver's stack has not registered the channel yet), and the media state
/// is a state, so saying it twice costs nothing.
pub const MEDIA_RESEND_AFTER: Duration = Duration::from_secs(2);
/// Signals kept for sending again after a rejoin (a negotiation's worth).
const UNSENT_SIGNALS: usize = 64;

/// The current peer connection's negotiation.
#[derive(Debug)]
struct PeerState {
    generation: u64,
    negotiator: Negotiator,
    stable: bool,
    remote_description_set: bool,
    /// What to do once `ApplyRemote` lands: answer (an offer) or not.
    applying: Option<DescriptionKind>,
    pending_candidates: Vec<IceCandidate>,
    /// Has come up (and stays true through a later outage).
    connected: bool,
    data_open: bool,
    /// When it was made: one that never comes up is made again.
    made_at: Instant,
    /// The partner's DTLS certificate fingerprint, from the last remote
    /// description: an offer with another one is a new connection of
    /// theirs, which ours must follow (a renegotiation keeps it).
    remote_fingerprint: Option<String>,
}

/// The `a=fingerprint` value of a description (the DTLS certificate's hash):
/// each new connection has a certificate of its own.
fn dtls_fingerprint(sdp: &str) -> Option<&str> {
    sdp.lines()
        .find_map(|line| line.trim_end().strip_prefix("a=fingerprint:"))
}

/// Our screen share, as the machine keeps it across connections.
#[derive(Debug, Default)]
struct ScreenSend {
    /// The application shares.
    sharing: bool,
    /// The mid told to the partner for the current connection.
    announced: Option<String>,
    /// Attached or detached since the last offer of ours was answered: a
    /// negotiation is owed (it waits for a stable moment).
    owed: bool,
    /// The offer in flight carries the latest change.
    in_offer: bool,
}

pub struct CallMachine {
    policy: RestartPolicy,
    my_peer_id: String,
    polite: bool,
    remote: Option<PeerInfo>,
    peer: Option<PeerState>,
    generation: u64,
    state: CallState,
    ice_down_since: Option<Instant>,
    last_ice_restart: Option<Instant>,
    next_stats: Instant,
    meter: StatsMeter,
    /// Our last media state, told to the partner after each (re)connect.
    media: Option<MediaState>,
    seen_chat: VecDeque<String>,
    /// Messages for the partner while the data channel is not open.
    backlog: VecDeque<DataMessage>,
    /// Signals that did not leave, for the current peer connection.
    unsent: VecDeque<(String, SignalData)>,
    /// When to say the media state once more (see [`MEDIA_RESEND_AFTER`]).
    media_resend_at: Option<Instant>,
    screen: ScreenSend,
    /// The partner's screen share as they announced it.
    partner_screen: Option<String>,
    consent: Consent,
    /// The call's report, gathered as it goes.
    report: ReportMeter,
    /// Why the call ends, when it does (a hang-up unless said otherwise).
    end_reason: EndReason,
    /// The latest instant the machine was given (for states set deep in a
    /// handler).
    clock: Instant,
    out: VecDeque<Action>,
}

impl CallMachine {
    /// A call that has just joined its room (`joined`, the join's ack).
    pub fn new(joined: Joined, policy: RestartPolicy, now: Instant) -> CallMachine {
        let mut m = CallMachine {
            policy,
            my_peer_id: joined.peer_id.clone(),
            polite: joined.polite,
            remote: None,
            peer: None,
            generation: 0,
            state: CallState::WaitingForPeer,
            ice_down_since: None,
            last_ice_restart: None,
            next_stats: now + STATS_INTERVAL,
            meter: StatsMeter::default(),
            media: None,
            seen_chat: VecDeque::new(),
            backlog: VecDeque::new(),
            unsent: VecDeque::new(),
            media_resend_at: None,
            screen: ScreenSend::default(),
            partner_screen: None,
            consent: Consent::default(),
            report: ReportMeter::new(now),
            end_reason: EndReason::Hangup,
            clock: now,
            out: VecDeque::new(),
        };
        m.emit(CallEvent::Joined {
            session_id: joined.session_id,
            peer_id: joined.peer_id,
            polite: joined.polite,
        });
        // The second to join makes the first offer, and never waited.
        match joined.peers.into_iter().next() {
            Some(partner) => m.meet(partner, true, now),
            None => m.emit(CallEvent::State {
                state: CallState::WaitingForPeer,
            }),
        }
        m
    }

    pub fn state(&self) -> CallState {
        self.state
    }

    /// Who the call's report is from, and when they joined by the wall
    /// clock (the machine reads no clock of its own).
    pub fn set_report_identity(&mut self, identity: ReportIdentity) {
        self.report.set_identity(identity);
    }

    pub fn polite(&self) -> bool {
        self.polite
    }

    /// The next action to carry out, in order.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.out.pop_front()
    }

    /// When the machine next wants `handle_timeout`: the next figures, or
    /// an ICE restart or a new connection falling due before them.
    pub fn poll_timeout(&self) -> Instant {
        [
            self.restart_at(),
            self.rebuild_at(),
            self.media_resend_at,
            self.consent.deadline(),
        ]
        .into_iter()
        .flatten()
        .fold(self.next_stats, Instant::min)
    }

    /// When an ICE restart falls due, while the path is down with a partner.
    fn restart_at(&self) -> Option<Instant> {
        let since = self.ice_down_since?;
        if self.peer.is_none() || self.remote.is_none() {
            return None;
        }
        Some(
            self.policy
                .due_at(self.polite, since, self.last_ice_restart),
        )
    }

    /// When to make the connection again: it has never come up, with a
    /// partner there.
    fn rebuild_at(&self) -> Option<Instant> {
        let peer = self.peer.as_ref().filter(|p| !p.connected)?;
        self.remote.as_ref()?;
        Some(self.policy.rebuild_at(self.polite, peer.made_at))
    }

    /// Time passed: restart ICE or make the connection again when due, and
    /// ask for figures each second.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.state == CallState::Ended {
            return;
        }
        self.clock = now;
        if self.rebuild_at().is_some_and(|at| now >= at) {
            tracing::warn!("the connection has not come up in time: making a new one");
            self.new_peer();
            self.make_offer(false, now);
            return;
        }
        if let (Some(at), Some(since)) = (self.restart_at(), self.ice_down_since) {
            if now >= at {
                tracing::info!(
                    "media path down for {:?}: restarting ICE",
                    now.duration_since(since)
                );
                self.make_offer(true, now);
            }
        }
        self.consent.handle_timeout(now);
        self.carry_consent();
        if self.media_resend_at.is_some_and(|at| now >= at) {
            self.media_resend_at = None;
            if let Some(media) = self.media {
                self.send_data(DataMessage::Media(media));
            }
            // The share's announcement is a state too: said again, for the
            // same reason (the partner ignores a mid it already routes).
            if let Some(mid) = self.screen.announced.clone() {
                self.send_data(DataMessage::Screen(ScreenShare {
                    active: true,
                    mid: Some(mid),
                }));
            }
        }
        if now >= self.next_stats {
            self.next_stats = now + STATS_INTERVAL;
            self.retry_backlog();
            // A negotiation still owed (an offer that failed, say) goes again.
            self.settle(now);
            self.out.push_back(Action::CollectStats);
        }
    }

    pub fn handle_input(&mut self, input: Input, now: Instant) {
        if self.state == CallState::Ended {
            return;
        }
        self.clock = now;
        match input {
            Input::PeerJoined(partner) => self.meet(partner, false, now),
            Input::Rejoined(joined) => {
                self.my_peer_id = joined.peer_id;
                if let Some(partner) = joined.peers.into_iter().next() {
                    let known = self
                        .remote
                        .as_ref()
                        .is_some_and(|r| r.peer_id == partner.peer_id);
                    if known {
                        // What did not leave while the socket was down goes now.
                        for (to, data) in std::mem::take(&mut self.unsent) {
                            if to == partner.peer_id {
                                self.out.push_back(Action::Signal { to, data });
                            }
                        }
                    } else {
                        self.meet(partner, true, now);
                    }
                }
            }
            Input::SignalFailed { to, data } => {
                if self.unsent.len() == UNSENT_SIGNALS {
                    self.unsent.pop_front();
                }
                self.unsent.push_back((to, data));
            }
            Input::RejoinFailed(code) => tracing::warn!(?code, "could not rejoin the room"),
            Input::PeerLeft(left) => self.on_peer_left(left),
            Input::Signal { from, data } => {
                if self.remote.as_ref().is_some_and(|r| r.peer_id == from) {
                    self.on_signal(data);
                }
            }
            Input::SignalingState(state) => self.emit(CallEvent::Signaling { state }),
            Input::Peer { generation, input } => {
                if self
                    .peer
                    .as_ref()
                    .is_some_and(|p| p.generation == generation)
                {
                    self.on_peer(input, now);
                }
            }
            Input::Stats(sample) => {
                let (stats, target) = self.meter.figures(self.state, sample.clone(), now);
                self.report.second(&stats, &sample);
                if let Some(bps) = target {
                    self.emit(CallEvent::TargetBitrate { bps });
                }
                self.emit(CallEvent::Stats { stats });
            }
            Input::Command(command) => {
                self.on_command(command, now);
                self.carry_consent();
            }
            Input::RecorderFailed => {
                self.consent.recorder_failed();
                self.carry_consent();
            }
        }
    }

    /// What the consent machine asked for, as actions.
    fn carry_consent(&mut self) {
        for out in self.consent.drain() {
            match out {
                ConsentOut::Send(message) => self.send_data(DataMessage::Record(message)),
                ConsentOut::StartRecorder => {
                    self.report.recorded();
                    self.out.push_back(Action::StartRecorder)
                }
                ConsentOut::StopRecorder => self.out.push_back(Action::StopRecorder),
                ConsentOut::Changed(recording) => self.emit(CallEvent::Recording { recording }),
            }
        }
    }

    fn emit(&mut self, event: CallEvent) {
        self.out.push_back(Action::Emit(event));
    }

    fn set_state(&mut self, state: CallState) {
        if self.state != state {
            self.state = state;
            self.report.state(state, self.clock);
            self.emit(CallEvent::State { state });
            if state == CallState::Ended {
                let report = self
                    .report
                    .finish(&self.my_peer_id, self.end_reason, self.clock);
                self.emit(CallEvent::Report {
                    report: Box::new(report),
                });
            }
        }
    }

    /// A partner is in the room: start (or keep) the connection with them.
    fn meet(&mut self, partner: PeerInfo, we_offer: bool, now: Instant) {
        let same_person = self
            .remote
            .as_ref()
            .is_some_and(|r| r.user.id == partner.user.id);
        self.emit(CallEvent::PeerPresent {
            peer_id: partner.peer_id.clone(),
            user: partner.user.clone(),
        });
        let connected = self.peer.as_ref().is_some_and(|p| p.connected);
        self.remote = Some(partner);
        if same_person && connected {
            // Signaling came back with new ids, but media never stopped.
            return;
        }
        self.new_peer();
        if we_offer {
            self.make_offer(false, now);
        }
    }

    fn new_peer(&mut self) {
        self.close_peer();
        self.unsent.clear();
        self.generation += 1;
        self.peer = Some(PeerState {
            generation: self.generation,
            negotiator: Negotiator::new(self.polite),
            stable: true,
            remote_description_set: false,
            applying: None,
            pending_candidates: Vec::new(),
            connected: false,
            data_open: false,
            made_at: self.clock,
            remote_fingerprint: None,
        });
        self.ice_down_since = None;
        self.out.push_back(Action::NewPeer {
            generation: self.generation,
        });
        // A new connection knows nothing of either share: ours goes on its
        // first negotiation, theirs comes with their announcement on it.
        self.forget_partner_screen();
        self.screen.announced = None;
        self.screen.in_offer = false;
        self.screen.owed = self.screen.sharing;
        if self.screen.sharing {
            self.out.push_back(Action::AttachScreen);
        }
        self.set_state(CallState::Connecting);
    }

    fn forget_partner_screen(&mut self) {
        if self.partner_screen.take().is_some() {
            self.out.push_back(Action::RouteScreen(None));
            self.emit(CallEvent::PartnerScreen {
                share: ScreenShare::default(),
            });
        }
    }

    /// Offers now if nothing is in flight; otherwise the offer is owed and
    /// goes once the connection is stable again (`settle`).
    fn negotiate(&mut self, now: Instant) {
        let Some(peer) = &self.peer else { return };
        if peer.stable && peer.applying.is_none() && !peer.negotiator.making_offer() {
            self.make_offer(false, now);
        }
    }

    /// The connection is stable: what is owed goes now.
    fn settle(&mut self, now: Instant) {
        if self.screen.owed && self.remote.is_some() {
            self.negotiate(now);
        }
    }

    fn close_peer(&mut self) {
        if self.peer.take().is_some() {
            self.out.push_back(Action::ClosePeer);
        }
    }

    fn signal(&mut self, data: SignalData) {
        if let Some(remote) = &self.remote {
            self.out.push_back(Action::Signal {
                to: remote.peer_id.clone(),
                data,
            });
        }
    }

    fn make_offer(&mut self, ice_restart: bool, now: Instant) {
        let Some(peer) = &mut self.peer else { return };
        peer.negotiator.offer_started();
        self.screen.in_offer = self.screen.owed;
        if ice_restart {
            self.last_ice_restart = Some(now);
        }
        self.out.push_back(Action::MakeOffer { ice_restart });
    }

    fn on_peer_left(&mut self, left: PeerLeft) {
        if left.peer_id == self.my_peer_id && left.reason == LeaveReason::Replaced {
            self.close_peer();
            self.emit(CallEvent::Replaced);
            self.end_reason = EndReason::Replaced;
            self.set_state(CallState::Ended);
            self.out.push_back(Action::Stop);
            return;
        }
        if self
            .remote
            .as_ref()
            .is_some_and(|r| r.peer_id == left.peer_id)
        {
            self.emit(CallEvent::PeerLeft {
                peer_id: left.peer_id,
                reason: left.reason,
            });
            self.report
                .partner_gone(left.reason == LeaveReason::Disconnected);
            if left.reason == LeaveReason::Left {
                // Gone, not dropped: recording them or by them is over.
                self.consent.on_partner_left();
                self.carry_consent();
            }
            self.remote = None;
            self.close_peer();
            self.forget_partner_screen();
            self.set_state(CallState::WaitingForPeer);
        }
    }

    fn on_signal(&mut self, data: SignalData) {
        let Some(peer) = &self.peer else { return };
        if let SignalData::Offer { sdp } = &data {
            let known = peer.remote_fingerprint.as_deref();
            if matches!((known, dtls_fingerprint(sdp)), (Some(k), Some(t)) if k != t) {
                // The partner made its connection again (it never came up
                // on their side): ours follows, and answers on a new one.
                tracing::warn!("the partner made a new connection: following it");
                self.new_peer();
            }
        }
        let Some(peer) = &mut self.peer else { return };
        let (kind, sdp) = match data {
            SignalData::Offer { sdp } => (DescriptionKind::Offer, sdp),
            SignalData::Answer { sdp } => (DescriptionKind::Answer, sdp),
            SignalData::Candidate { candidate } => {
                if candidate.is_end_of_candidates() {
                    return; // nothing to do with the end of theirs
                }
                if peer.remote_description_set {
                    self.out.push_back(Action::AddCandidate(candidate));
                } else {
                    peer.pending_candidates.push(candidate);
                }
                return;
            }
            SignalData::Unknown(_) => return tracing::debug!("unknown signal type"),
        };
        if peer.applying.is_some() {
            // The driver finishes each action before the next input, so this
            // cannot happen; refuse rather than interleave two descriptions.
            return tracing::warn!("a description while one is being applied");
        }
        self.on_description(kind, sdp);
    }

    fn on_description(&mut self, kind: DescriptionKind, sdp: String) {
        let Some(peer) = &mut self.peer else { return };
        match peer.negotiator.on_remote_description(kind, peer.stable) {
            Decision::Ignore => tracing::debug!("glare: keeping our offer"),
            Decision::Apply { rollback_first, .. } => {
                peer.applying = Some(kind);
                if let Some(fingerprint) = dtls_fingerprint(&sdp) {
                    peer.remote_fingerprint = Some(fingerprint.to_owned());
                }
                self.out.push_back(Action::ApplyRemote {
                    kind,
                    sdp,
                    rollback_first,
                });
            }
        }
    }

    fn on_peer(&mut self, input: PeerInput, now: Instant) {
        let Some(peer) = &mut self.peer else { return };
        match input {
            PeerInput::LocalCandidate(candidate) => {
                let candidate = candidate.unwrap_or_else(IceCandidate::end_of_candidates);
                self.signal(SignalData::Candidate { candidate });
            }
            PeerInput::OfferReady { sdp } => {
                peer.negotiator.offer_finished(true);
                peer.stable = false;
                self.signal(SignalData::Offer { sdp });
            }
            PeerInput::OfferFailed => {
                peer.negotiator.offer_finished(false);
                tracing::warn!("could not make an offer");
            }
            PeerInput::ScreenMid(mid) => self.on_screen_mid(mid),
            PeerInput::RemoteApplied => {
                let kind = peer.applying.take();
                peer.remote_description_set = true;
                for candidate in std::mem::take(&mut peer.pending_candidates) {
                    self.out.push_back(Action::AddCandidate(candidate));
                }
                match kind {
                    Some(DescriptionKind::Offer) => self.out.push_back(Action::MakeAnswer),
                    _ => {
                        peer.stable = true;
                        // Our offer was answered: what it carried is agreed.
                        if std::mem::take(&mut self.screen.in_offer) {
                            self.screen.owed = false;
                        }
                        self.settle(now);
                    }
                }
            }
            PeerInput::RemoteFailed => {
                peer.applying = None;
                tracing::warn!("could not apply the remote description");
            }
            PeerInput::AnswerReady { sdp } => {
                peer.stable = true;
                self.signal(SignalData::Answer { sdp });
                // Their offer won any glare: ours, rolled back, is owed again.
                self.screen.in_offer = false;
                self.settle(now);
            }
            PeerInput::AnswerFailed => tracing::warn!("could not answer"),
            PeerInput::IcePath { up: false } => {
                self.out.push_back(Action::SetPathUp(false));
                self.ice_down_since.get_or_insert(now);
                if self.state == CallState::Connected {
                    self.set_state(CallState::Reconnecting);
                }
            }
            PeerInput::IcePath { up: true } => {
                let connected = peer.connected;
                self.out.push_back(Action::SetPathUp(true));
                self.ice_down_since = None;
                if connected {
                    self.set_state(CallState::Connected);
                }
            }
            PeerInput::Connection { connected: true } => {
                let first = !peer.connected;
                peer.connected = true;
                self.ice_down_since = None;
                if first {
                    self.out.push_back(Action::StartSending);
                    // A fresh connection starts with a keyframe.
                    self.emit(CallEvent::KeyframeRequested);
                }
                self.set_state(CallState::Connected);
            }
            PeerInput::Connection { connected: false } => {
                self.ice_down_since.get_or_insert(now);
                self.set_state(CallState::Reconnecting);
            }
            PeerInput::DataOpen => {
                if std::mem::replace(&mut peer.data_open, true) {
                    return;
                }
                self.media_resend_at = Some(now + MEDIA_RESEND_AFTER);
                if let Some(media) = self.media {
                    // The contract: the media state after each (re)connect.
                    self.backlog.retain(|m| !matches!(m, DataMessage::Media(_)));
                    self.backlog.push_front(DataMessage::Media(media));
                }
                while let Some(message) = self.backlog.pop_front() {
                    self.out.push_back(Action::SendData(message));
                }
                self.consent.on_channel_open();
                self.carry_consent();
            }
            PeerInput::DataNotSent(message) => {
                peer.data_open = false;
                self.backlog.push_front(message);
            }
            PeerInput::DataText(text) => self.on_data(&text, now),
            PeerInput::KeyframeWanted => self.emit(CallEvent::KeyframeRequested),
            PeerInput::TargetCut { bps } => {
                if let Some(bps) = self.meter.target_to_tell(bps) {
                    self.emit(CallEvent::TargetBitrate { bps });
                }
            }
            PeerInput::ScreenKeyframeWanted => self.emit(CallEvent::ScreenKeyframeRequested),
        }
    }

    /// Our screen transceiver is in a description we set: tell the partner
    /// its mid (once per connection, and again if it changes).
    fn on_screen_mid(&mut self, mid: Option<String>) {
        let Some(mid) = mid.filter(|_| self.screen.sharing) else {
            return;
        };
        if self.screen.announced.as_ref() == Some(&mid) {
            return;
        }
        self.screen.announced = Some(mid.clone());
        self.send_data(DataMessage::Screen(ScreenShare {
            active: true,
            mid: Some(mid),
        }));
    }

    fn on_data(&mut self, text: &str, now: Instant) {
        let Some(message) = DataMessage::parse(text) else {
            tracing::debug!("a data-channel message that is not a JSON object with a type");
            return;
        };
        match message {
            DataMessage::Chat(chat) => {
                if !chat.id.is_empty() {
                    if self.seen_chat.contains(&chat.id) {
                        return; // a resend after a reconnect
                    }
                    if self.seen_chat.len() == SEEN_CHAT_IDS {
                        self.seen_chat.pop_front();
                    }
                    self.seen_chat.push_back(chat.id.clone());
                }
                self.emit(CallEvent::Chat { message: chat });
            }
            DataMessage::Media(state) => {
                // A partner who says they share nothing has stopped, even if
                // their `screen` stop was lost on the way.
                if !state.screen && self.partner_screen.is_some() {
                    self.forget_partner_screen();
                }
                self.emit(CallEvent::PartnerMedia { state });
            }
            DataMessage::Screen(share) => self.on_partner_screen(share),
            DataMessage::Record(message) => {
                self.consent.on_message(message, now);
                self.carry_consent();
            }
            DataMessage::Keyframe => {
                self.emit(CallEvent::KeyframeRequested);
                if self.screen.announced.is_some() {
                    self.emit(CallEvent::ScreenKeyframeRequested);
                }
            }
            DataMessage::Unknown(_) => {}
        }
    }

    /// The partner started or stopped sharing: route their track with that
    /// mid to the screen, and tell the application.
    fn on_partner_screen(&mut self, share: ScreenShare) {
        let mid = share.mid.clone().filter(|_| share.active);
        if share.active && mid.is_none() {
            return tracing::debug!("a screen share announced without its mid");
        }
        if mid == self.partner_screen {
            return; // said again after a reconnect
        }
        self.partner_screen = mid.clone();
        self.out.push_back(Action::RouteScreen(mid));
        self.emit(CallEvent::PartnerScreen { share });
    }

    /// Messages still held on a connected call: try them again each second.
    /// The channel's own "open" can come late or not at all from the stack;
    /// a send it refuses comes back (`DataNotSent`) and waits for the next try.
    fn retry_backlog(&mut self) {
        let Some(peer) = self.peer.as_mut().filter(|p| p.connected) else {
            return;
        };
        if self.backlog.is_empty() {
            return;
        }
        peer.data_open = true;
        while let Some(message) = self.backlog.pop_front() {
            self.out.push_back(Action::SendData(message));
        }
    }

    /// Sends on the data channel, or holds the message until it opens.
    fn send_data(&mut self, message: DataMessage) {
        if self.peer.as_ref().is_some_and(|p| p.data_open) {
            self.out.push_back(Action::SendData(message));
        } else {
            if self.backlog.len() == DATA_BACKLOG {
                self.backlog.pop_front();
            }
            self.backlog.push_back(message);
        }
    }

    fn share_screen(&mut self, on: bool, now: Instant) {
        self.report.sharing(on, now);
        if self.screen.sharing == on {
            return;
        }
        self.screen.sharing = on;
        // An offer in flight predates this change: it does not settle it.
        self.screen.in_offer = false;
        if !on {
            self.screen.announced = None;
            self.send_data(DataMessage::Screen(ScreenShare::default()));
        }
        if let Some(media) = self.media.as_mut() {
            media.screen = on;
            let media = *media;
            self.backlog.retain(|m| !matches!(m, DataMessage::Media(_)));
            self.send_data(DataMessage::Media(media));
        }
        if self.peer.is_none() {
            return; // the next connection attaches it
        }
        self.out.push_back(if on {
            Action::AttachScreen
        } else {
            Action::DetachScreen
        });
        self.screen.owed = true;
        self.negotiate(now);
    }

    fn on_command(&mut self, command: Command, now: Instant) {
        match command {
            Command::SendChat(chat) => self.send_data(DataMessage::Chat(chat)),
            Command::SetMedia(mut state) => {
                // Whether we share is the machine's to say.
                state.screen = self.screen.sharing;
                self.media = Some(state);
                self.backlog.retain(|m| !matches!(m, DataMessage::Media(_)));
                self.send_data(DataMessage::Media(state));
            }
            Command::SendData(message) => self.send_data(message),
            Command::RequestKeyframe => {
                self.out.push_back(Action::SendPli);
                if self.peer.as_ref().is_some_and(|p| p.data_open) {
                    self.out.push_back(Action::SendData(DataMessage::Keyframe));
                }
            }
            Command::RequestScreenKeyframe => {
                if self.partner_screen.is_some() {
                    self.out.push_back(Action::SendScreenPli);
                }
            }
            Command::ShareScreen(on) => self.share_screen(on, now),
            Command::RequestRecording { id } => self.consent.request(id, now),
            Command::AnswerRecording { accept } => self.consent.answer(accept, now),
            Command::StopRecording => self.consent.stop(RecordingEnd::Stopped),
            Command::RevokeRecording => self.consent.revoke(),
            Command::RestartIce => self.make_offer(true, now),
            Command::HangUp => {
                // Leaving stops our recording (its `stopped` goes first).
                self.consent.on_hang_up();
                self.carry_consent();
                // Media stops first (the camera, the microphone, a screen
                // share): a slow `live:leave` ack must not keep sending after
                // the person hung up. The end and its report come out before
                // the leave, which may wait seconds for a server out of
                // reach: the report must not wait on it.
                self.close_peer();
                self.set_state(CallState::Ended);
                self.out.push_back(Action::Leave);
                self.out.push_back(Action::Stop);
            }
        }
    }
}
