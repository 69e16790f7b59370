//! A simulated world for stepping two call machines against each other: a
//! signaling server that relays (and keeps signals for a peer whose socket is
//! down, as the real one does), peer connections that follow the JSEP
//! signaling states strictly enough to fail where a browser would, ICE that
//! connects only when both sides hold each other's current credentials and
//! a candidate, and a media path that can drop or change.

use super::*;
use mentorlive_protocol::Role;
use std::collections::VecDeque;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    A,
    B,
}

impl Side {
    pub fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Jsep {
    Stable,
    HaveLocalOffer,
    HaveRemoteOffer,
}

/// The mid of each side's screen transceiver: each share has an m-line of
/// its own (the camera, microphone and data channel take 0 to 2).
pub fn screen_mid(side: Side) -> &'static str {
    match side {
        Side::A => "3",
        Side::B => "4",
    }
}

/// A description on the wire: `kind pc ufrag A B`, where `A` and `B` say
/// each side's screen m-line: `-` (none), `i` (there, its owner not
/// sending) or `s` (its owner sending); then, as in SDP, the connection's
/// DTLS fingerprint (each connection has a certificate of its own).
fn sdp(kind: &str, pc: u64, ufrag: u64, screens: [char; 2]) -> String {
    format!(
        "{kind} {pc} {ufrag} {} {}\r\na=fingerprint:sha-256 PC{pc}\r\n",
        screens[0], screens[1]
    )
}

fn parse_sdp(text: &str) -> (u64, u64) {
    let mut parts = text.lines().next().unwrap_or("").split(' ').skip(1);
    let pc = parts.next().and_then(|p| p.parse().ok()).expect("sim sdp");
    let ufrag = parts.next().and_then(|p| p.parse().ok()).expect("sim sdp");
    (pc, ufrag)
}

/// The flag a description gives `side`'s screen m-line.
fn parse_screen(text: &str, side: Side) -> char {
    let index = match side {
        Side::A => 3,
        Side::B => 4,
    };
    text.lines()
        .next()
        .unwrap_or("")
        .split(' ')
        .nth(index)
        .and_then(|s| s.chars().next())
        .unwrap_or('-')
}

#[derive(Debug)]
struct SimPc {
    id: u64,
    generation: u64,
    jsep: Jsep,
    /// Our ICE credentials in force, and the ones of an offer not yet answered.
    local_ufrag: u64,
    offered_ufrag: Option<u64>,
    /// The partner's connection and credentials from its last description.
    remote: Option<(u64, u64)>,
    /// Candidates of the partner's, as (pc, ufrag).
    remote_candidates: Vec<(u64, u64)>,
    restart_next: bool,
    /// The partner's last offer carried new credentials (an ICE restart).
    remote_restarted: bool,
    connected: bool,
    data_open: bool,
    /// Data-channel messages waiting for the path (SCTP retransmits them).
    sctp_out: VecDeque<String>,
    sending: bool,
    /// Our screen track is on our screen transceiver (direction sendonly).
    screen_attached: bool,
    /// Our screen m-line is in the negotiated session.
    my_screen_mline: bool,
    /// The partner's screen m-line is, and whether they send on it, as of
    /// the last description applied.
    their_screen_mline: bool,
    partner_sends_screen: bool,
}

impl SimPc {
    /// The two screen flags of a description this side makes; ours there
    /// only when `mine` (an answer cannot add an m-line).
    fn screen_flags(&self, side: Side, mine: bool) -> [char; 2] {
        let ours = match (mine, self.screen_attached) {
            (false, _) => '-',
            (true, false) => 'i',
            (true, true) => 's',
        };
        let theirs = match (self.their_screen_mline, self.partner_sends_screen) {
            (false, _) => '-',
            (true, false) => 'i',
            (true, true) => 's',
        };
        match side {
            Side::A => [ours, theirs],
            Side::B => [theirs, ours],
        }
    }
}

pub struct Peer {
    pub machine: CallMachine,
    pub peer_id: String,
    pc: Option<SimPc>,
    pub socket_up: bool,
    /// Timers do not run (an old client that never restarts ICE).
    pub timers_frozen: bool,
    /// Signals the server keeps for this peer while its socket is down.
    held: Vec<Input>,
    pub events: Vec<CallEvent>,
    pub errors: Vec<String>,
    pub ice_restarts: u32,
    pub plis_sent: u32,
    /// Sends the channel refuses (as webrtc's can, just after it opens).
    pub refuse_sends: u32,
    /// The stack never reports the channel open (the channel is open).
    pub lose_data_open: bool,
    /// Messages to this peer lost in the instant its channel opens.
    pub lose_first_messages: u32,
    pub stopped: bool,
    /// What the last `RouteScreen` said: the mid shown as the screen.
    pub routed_screen: Option<String>,
    /// The recorder runs (between `StartRecorder` and `StopRecorder`).
    pub recorder_running: bool,
    side: Side,
}

impl Peer {
    /// The generation of the connection in place, if any.
    pub fn connection(&self) -> Option<u64> {
        self.pc.as_ref().map(|pc| pc.generation)
    }

    pub fn is_sending(&self) -> bool {
        self.pc
            .as_ref()
            .is_some_and(|pc| pc.sending && pc.connected)
    }

    pub fn stable(&self) -> bool {
        self.pc.as_ref().is_some_and(|pc| pc.jsep == Jsep::Stable)
    }

    /// The partner's screen reaches this side's screen view: their track
    /// flows on the negotiated screen m-line and is routed by its mid.
    pub fn sees_partner_screen(&self) -> bool {
        self.pc
            .as_ref()
            .is_some_and(|pc| pc.partner_sends_screen && pc.connected)
            && self.routed_screen.as_deref() == Some(screen_mid(self.side.other()))
    }

    /// Our screen leaves on a negotiated m-line.
    pub fn sends_screen(&self) -> bool {
        self.pc
            .as_ref()
            .is_some_and(|pc| pc.screen_attached && pc.my_screen_mline && pc.jsep == Jsep::Stable)
    }

    pub fn chats(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|e| match e {
                CallEvent::Chat { message } => Some(message.text.clone()),
                _ => None,
            })
            .collect()
    }

    /// The last recording view this side's application was shown.
    pub fn recording(&self) -> Option<super::RecordingView> {
        self.events.iter().rev().find_map(|e| match e {
            CallEvent::Recording { recording } => Some(*recording),
            _ => None,
        })
    }

    pub fn states(&self) -> Vec<CallState> {
        self.events
            .iter()
            .filter_map(|e| match e {
                CallEvent::State { state } => Some(*state),
                _ => None,
            })
            .collect()
    }
}

pub struct World {
    pub now: Instant,
    pub a: Peer,
    pub b: Option<Peer>,
    /// Whether packets cross between the two hosts.
    pub path_up: bool,
    /// Credentials older than this cannot connect (the path changed: the
    /// old candidate pair is gone for good).
    min_ufrag: u64,
    next_id: u64,
    /// Signals in flight through the server, to deliver in order.
    wire: VecDeque<(Side, Input)>,
    /// Hold signals on the wire until `release` (to make them cross).
    pub hold_wire: bool,
    /// Connections of this generation on either side never come up, though
    /// both know each other (a DTLS handshake that stalled for good).
    pub stalled_generation: Option<u64>,
}

fn user(id: &str, role: Role) -> PeerUser {
    PeerUser {
        id: id.into(),
        name: format!("{id} name"),
        role,
    }
}

impl World {
    /// The mentor (polite) alone in the room.
    pub fn mentor_waiting() -> World {
        let now = Instant::now();
        let joined = Joined {
            session_id: "s".into(),
            peer_id: "pa".into(),
            polite: true,
            peers: vec![],
            ice_servers: vec![],
        };
        let mut world = World {
            now,
            a: new_peer(
                CallMachine::new(joined, RestartPolicy::default(), now),
                "pa",
                Side::A,
            ),
            b: None,
            path_up: true,
            min_ufrag: 0,
            next_id: 1,
            wire: VecDeque::new(),
            hold_wire: false,
            stalled_generation: None,
        };
        world.run();
        world
    }

    /// The learner (impolite) joins as `peer_id`: the mentor hears of it.
    pub fn learner_joins(&mut self, peer_id: &str) {
        let joined = Joined {
            session_id: "s".into(),
            peer_id: peer_id.into(),
            polite: false,
            peers: vec![PeerInfo {
                peer_id: self.a.peer_id.clone(),
                user: user("mentor", Role::Mentor),
            }],
            ice_servers: vec![],
        };
        self.b = Some(new_peer(
            CallMachine::new(joined, RestartPolicy::default(), self.now),
            peer_id,
            Side::B,
        ));
        self.server_to(
            Side::A,
            Input::PeerJoined(PeerInfo {
                peer_id: peer_id.into(),
                user: user("learner", Role::Learner),
            }),
        );
        self.run();
    }

    /// Both in the call, connected.
    pub fn connected() -> World {
        let mut w = World::mentor_waiting();
        w.learner_joins("pb");
        w.advance(Duration::from_millis(100));
        assert_eq!(w.a.machine.state(), CallState::Connected);
        assert_eq!(w.b().machine.state(), CallState::Connected);
        w
    }

    pub fn b(&self) -> &Peer {
        self.b.as_ref().expect("the learner is in")
    }

    pub fn peer(&mut self, side: Side) -> &mut Peer {
        match side {
            Side::A => &mut self.a,
            Side::B => self.b.as_mut().expect("the learner is in"),
        }
    }

    pub fn input(&mut self, side: Side, input: Input) {
        let now = self.now;
        self.peer(side).machine.handle_input(input, now);
        self.run();
    }

    pub fn command(&mut self, side: Side, command: Command) {
        self.input(side, Input::Command(command));
    }

    /// A server event for `side`: delivered, or held while its socket is down.
    pub fn server_to(&mut self, side: Side, input: Input) {
        let now = self.now;
        let peer = self.peer(side);
        if peer.socket_up {
            peer.machine.handle_input(input, now);
        } else {
            peer.held.push(input);
        }
    }

    pub fn drop_socket(&mut self, side: Side) {
        self.peer(side).socket_up = false;
    }

    /// The socket is back and the room resumed: the same peer ids.
    pub fn rejoin(&mut self, side: Side) {
        let partner = match side {
            Side::A => self
                .b
                .as_ref()
                .map(|b| (b.peer_id.clone(), user("learner", Role::Learner))),
            Side::B => Some((self.a.peer_id.clone(), user("mentor", Role::Mentor))),
        };
        let now = self.now;
        let peer = self.peer(side);
        peer.socket_up = true;
        let joined = Joined {
            session_id: "s".into(),
            peer_id: peer.peer_id.clone(),
            polite: side == Side::A,
            peers: partner
                .map(|(peer_id, user)| vec![PeerInfo { peer_id, user }])
                .unwrap_or_default(),
            ice_servers: vec![],
        };
        peer.machine.handle_input(Input::Rejoined(joined), now);
        for held in std::mem::take(&mut peer.held) {
            peer.machine.handle_input(held, now);
        }
        self.run();
    }

    /// The path changes (a new network): ICE must restart to come back.
    pub fn change_path(&mut self) {
        self.min_ufrag = self.next_id;
        self.path_up = false;
        self.run();
        self.path_up = true;
    }

    /// Hands `side` what is on the wire for it, and its socket drops in the
    /// same instant: whatever it sends in reply cannot leave.
    pub fn deliver_then_drop(&mut self, side: Side) {
        let now = self.now;
        let wire: Vec<_> = self.wire.drain(..).collect();
        for (to, input) in wire {
            if to == side {
                self.peer(side).machine.handle_input(input, now);
            } else {
                self.wire.push_back((to, input));
            }
        }
        self.drop_socket(side);
        self.release();
    }

    /// Lets signals held on the wire go.
    pub fn release(&mut self) {
        self.hold_wire = false;
        self.run();
    }

    /// Moves time on in 10 ms steps, firing timers.
    pub fn advance(&mut self, by: Duration) {
        let end = self.now + by;
        while self.now < end {
            self.now += Duration::from_millis(10);
            let now = self.now;
            for side in [Side::A, Side::B] {
                if side == Side::B && self.b.is_none() {
                    continue;
                }
                let peer = self.peer(side);
                if !peer.timers_frozen && !peer.stopped && peer.machine.poll_timeout() <= now {
                    peer.machine.handle_timeout(now);
                }
            }
            self.run();
        }
    }

    /// Carries out every action until nothing moves.
    pub fn run(&mut self) {
        for _ in 0..10_000 {
            let mut moved = false;
            for side in [Side::A, Side::B] {
                if side == Side::B && self.b.is_none() {
                    continue;
                }
                while let Some(action) = self.peer(side).machine.poll_action() {
                    moved = true;
                    self.carry_out(side, action);
                }
            }
            // One signal at a time: the receiver carries out what it set off
            // before the next arrives, as the driver does.
            if !self.hold_wire {
                if let Some((to, input)) = self.wire.pop_front() {
                    moved = true;
                    self.server_to(to, input);
                }
            }
            moved |= self.ice();
            if !moved {
                return;
            }
        }
        panic!("the simulation does not settle");
    }

    /// Feeds a result of `side`'s current connection straight back, as the
    /// driver does (before any other input).
    fn feed(&mut self, side: Side, input: PeerInput) {
        let now = self.now;
        let peer = self.peer(side);
        let Some(generation) = peer.pc.as_ref().map(|pc| pc.generation) else {
            return;
        };
        peer.machine
            .handle_input(Input::Peer { generation, input }, now);
    }

    fn carry_out(&mut self, side: Side, action: Action) {
        if std::env::var_os("SIM_TRACE").is_some() {
            eprintln!("{side:?} {action:?}");
        }
        // Every action may need new ICE credentials or a connection id.
        let fresh = self.next_id;
        self.next_id += 1;
        let now = self.now;
        let peer = self.peer(side);
        match action {
            Action::NewPeer { generation } => {
                peer.pc = Some(SimPc {
                    id: fresh,
                    generation,
                    jsep: Jsep::Stable,
                    local_ufrag: fresh,
                    offered_ufrag: None,
                    remote: None,
                    remote_candidates: Vec::new(),
                    restart_next: false,
                    remote_restarted: false,
                    connected: false,
                    data_open: false,
                    sctp_out: VecDeque::new(),
                    sending: false,
                    screen_attached: false,
                    my_screen_mline: false,
                    their_screen_mline: false,
                    partner_sends_screen: false,
                });
            }
            Action::ClosePeer => peer.pc = None,
            Action::MakeOffer { ice_restart } => {
                let Some(pc) = peer.pc.as_mut() else {
                    return peer.errors.push("offer without a connection".into());
                };
                if ice_restart {
                    peer.ice_restarts += 1;
                    pc.restart_next = true;
                }
                let ufrag = if pc.restart_next {
                    fresh
                } else {
                    pc.offered_ufrag.unwrap_or(pc.local_ufrag)
                };
                pc.restart_next = false;
                pc.jsep = Jsep::HaveLocalOffer;
                pc.offered_ufrag = Some(ufrag);
                // An offer carries every transceiver: ours once made.
                let mine = pc.my_screen_mline || pc.screen_attached;
                let text = sdp("offer", pc.id, ufrag, pc.screen_flags(side, mine));
                let mid = pc.screen_attached.then(|| screen_mid(side).to_owned());
                self.feed(side, PeerInput::OfferReady { sdp: text });
                self.feed(side, PeerInput::ScreenMid(mid));
                self.gather(side, ufrag);
            }
            Action::ApplyRemote {
                kind,
                sdp: text,
                rollback_first,
            } => {
                let Some(pc) = peer.pc.as_mut() else { return };
                if rollback_first && pc.jsep == Jsep::HaveLocalOffer {
                    pc.jsep = Jsep::Stable;
                    pc.offered_ufrag = None;
                }
                let ok = match (kind, pc.jsep) {
                    (DescriptionKind::Offer, Jsep::Stable) => {
                        pc.jsep = Jsep::HaveRemoteOffer;
                        true
                    }
                    (DescriptionKind::Answer, Jsep::HaveLocalOffer) => {
                        pc.jsep = Jsep::Stable;
                        pc.local_ufrag = pc.offered_ufrag.take().unwrap_or(pc.local_ufrag);
                        true
                    }
                    (kind, state) => {
                        peer.errors.push(format!(
                            "{kind:?} applied in {state:?}: a browser refuses that"
                        ));
                        false
                    }
                };
                if ok {
                    let theirs = parse_screen(&text, side.other());
                    pc.their_screen_mline |= theirs != '-';
                    pc.partner_sends_screen = theirs == 's';
                    pc.my_screen_mline |= parse_screen(&text, side) != '-';
                    let (remote_pc, ufrag) = parse_sdp(&text);
                    if pc.remote.is_some_and(|(p, u)| p != remote_pc || u != ufrag) {
                        pc.remote_candidates.clear();
                        pc.remote_restarted = kind == DescriptionKind::Offer;
                    }
                    pc.remote = Some((remote_pc, ufrag));
                    self.feed(side, PeerInput::RemoteApplied);
                } else {
                    self.feed(side, PeerInput::RemoteFailed);
                }
            }
            Action::MakeAnswer => {
                let Some(pc) = peer.pc.as_mut() else { return };
                if pc.jsep != Jsep::HaveRemoteOffer {
                    peer.errors.push("answer without a remote offer".into());
                    return self.feed(side, PeerInput::AnswerFailed);
                }
                // A remote ICE restart makes our credentials new as well.
                if std::mem::take(&mut pc.remote_restarted) || pc.restart_next {
                    pc.local_ufrag = fresh;
                }
                pc.restart_next = false;
                pc.jsep = Jsep::Stable;
                let ufrag = pc.local_ufrag;
                // An answer cannot add m-lines: our screen goes only once
                // an offer carried its m-line.
                let mine = pc.my_screen_mline;
                let text = sdp("answer", pc.id, ufrag, pc.screen_flags(side, mine));
                let mid = (pc.screen_attached && mine).then(|| screen_mid(side).to_owned());
                self.feed(side, PeerInput::AnswerReady { sdp: text });
                self.feed(side, PeerInput::ScreenMid(mid));
                self.gather(side, ufrag);
            }
            Action::AddCandidate(candidate) => {
                let Some(pc) = peer.pc.as_mut() else { return };
                if pc.remote.is_none() {
                    return peer
                        .errors
                        .push("a candidate before the remote description".into());
                }
                let (cpc, cufrag) = parse_sdp(&format!("c {}", candidate.candidate));
                pc.remote_candidates.push((cpc, cufrag));
            }
            Action::Signal { to, data } => {
                let from = peer.peer_id.clone();
                if !peer.socket_up {
                    // The socket is gone: the emit fails and the driver says so.
                    peer.machine
                        .handle_input(Input::SignalFailed { to, data }, now);
                    return;
                }
                let target = side.other();
                let matches = match target {
                    Side::A => self.a.peer_id == to,
                    Side::B => self.b.as_ref().is_some_and(|b| b.peer_id == to),
                };
                if matches {
                    self.wire.push_back((target, Input::Signal { from, data }));
                }
            }
            Action::SendData(message) => {
                let Some(pc) = peer.pc.as_mut() else {
                    return peer.errors.push("data without a connection".into());
                };
                // A channel that is not open yet, or that refuses the send
                // (as webrtc's can just after it opens), gives it back.
                if !pc.data_open || peer.refuse_sends > 0 {
                    peer.refuse_sends = peer.refuse_sends.saturating_sub(1);
                    return self.feed(side, PeerInput::DataNotSent(message));
                }
                pc.sctp_out.push_back(message.to_json());
            }
            Action::StartSending => {
                if let Some(pc) = peer.pc.as_mut() {
                    pc.sending = true;
                }
            }
            Action::SetPathUp(_) | Action::Leave => {}
            Action::SendPli | Action::SendScreenPli => peer.plis_sent += 1,
            Action::AttachScreen | Action::DetachScreen => {
                let Some(pc) = peer.pc.as_mut() else {
                    return peer
                        .errors
                        .push("a screen change without a connection".into());
                };
                pc.screen_attached = matches!(action, Action::AttachScreen);
            }
            Action::RouteScreen(mid) => peer.routed_screen = mid,
            Action::StartRecorder => peer.recorder_running = true,
            Action::StopRecorder => peer.recorder_running = false,
            Action::CollectStats => {
                peer.machine
                    .handle_input(Input::Stats(Sample::default()), now);
            }
            Action::Emit(event) => peer.events.push(event),
            Action::Stop => {
                peer.stopped = true;
                peer.pc = None;
            }
        }
    }

    /// Trickles one host candidate and the end of candidates.
    fn gather(&mut self, side: Side, ufrag: u64) {
        let pc_id = self.peer(side).pc.as_ref().map(|pc| pc.id).unwrap_or(0);
        let candidate = IceCandidate {
            candidate: format!("{pc_id} {ufrag}"),
            sdp_mid: Some("0".into()),
            sdp_mline_index: Some(0),
        };
        self.feed(side, PeerInput::LocalCandidate(Some(candidate)));
        self.feed(side, PeerInput::LocalCandidate(None));
    }

    /// ICE and SCTP: connects, drops and delivers. True when anything moved.
    fn ice(&mut self) -> bool {
        let now = self.now;
        let Some(b) = self.b.as_mut() else {
            return false;
        };
        let a = &mut self.a;
        let up = match (a.pc.as_ref(), b.pc.as_ref()) {
            (Some(pa), Some(pb)) => {
                let knows = |x: &SimPc, y: &SimPc| {
                    x.remote == Some((y.id, y.local_ufrag))
                        && x.remote_candidates.contains(&(y.id, y.local_ufrag))
                };
                let stalled = |x: &SimPc| Some(x.generation) == self.stalled_generation;
                self.path_up
                    && !stalled(pa)
                    && !stalled(pb)
                    && knows(pa, pb)
                    && knows(pb, pa)
                    && pa.local_ufrag >= self.min_ufrag
                    && pb.local_ufrag >= self.min_ufrag
            }
            _ => false,
        };
        let mut moved = set_connected(a, up, now);
        moved |= set_connected(b, up, now);
        if up {
            moved |= deliver(a, b, now);
            moved |= deliver(b, a, now);
        }
        moved
    }
}

/// Tells `peer`'s machine that its connection came up or went down.
fn set_connected(peer: &mut Peer, up: bool, now: Instant) -> bool {
    let Some(pc) = peer.pc.as_mut().filter(|pc| pc.connected != up) else {
        return false;
    };
    pc.connected = up;
    let generation = pc.generation;
    let mut inputs = vec![
        PeerInput::IcePath { up },
        PeerInput::Connection { connected: up },
    ];
    if up && !pc.data_open {
        pc.data_open = true;
        if !peer.lose_data_open {
            inputs.push(PeerInput::DataOpen);
        }
    }
    for input in inputs {
        peer.machine
            .handle_input(Input::Peer { generation, input }, now);
    }
    true
}

/// SCTP delivers what waited, in order, once the path is up.
fn deliver(from: &mut Peer, to: &mut Peer, now: Instant) -> bool {
    let (Some(out), Some(generation)) = (
        from.pc.as_mut().map(|pc| std::mem::take(&mut pc.sctp_out)),
        to.pc.as_ref().map(|pc| pc.generation),
    ) else {
        return false;
    };
    let moved = !out.is_empty();
    for text in out {
        if to.lose_first_messages > 0 {
            to.lose_first_messages -= 1;
            continue;
        }
        to.machine.handle_input(
            Input::Peer {
                generation,
                input: PeerInput::DataText(text),
            },
            now,
        );
    }
    moved
}

fn new_peer(machine: CallMachine, peer_id: &str, side: Side) -> Peer {
    Peer {
        machine,
        peer_id: peer_id.into(),
        pc: None,
        socket_up: true,
        timers_frozen: false,
        held: Vec::new(),
        events: Vec::new(),
        errors: Vec::new(),
        ice_restarts: 0,
        recorder_running: false,
        plis_sent: 0,
        refuse_sends: 0,
        lose_data_open: false,
        lose_first_messages: 0,
        stopped: false,
        routed_screen: None,
        side,
    }
}
