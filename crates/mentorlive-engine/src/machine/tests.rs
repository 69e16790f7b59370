//! Two call machines stepped against each other through the simulated world
//! (`sim.rs`): every case in simulated time, in milliseconds of real time.

use super::sim::{Side, World};
use super::*;
use mentorlive_protocol::Role;

fn chat(id: &str, text: &str) -> Command {
    Command::SendChat(ChatMessage {
        text: text.into(),
        id: id.into(),
        sent_at: "2026-12-01T10:00:00Z".into(),
    })
}

/// The media state of someone with the microphone muted and no camera.
fn muted_without_camera() -> Command {
    Command::SetMedia(MediaState {
        audio_muted: true,
        video_off: true,
        screen: false,
    })
}

fn assert_clean(w: &World) {
    assert!(w.a.errors.is_empty(), "mentor: {:?}", w.a.errors);
    if let Some(b) = &w.b {
        assert!(b.errors.is_empty(), "learner: {:?}", b.errors);
    }
}

fn assert_in_call(w: &World) {
    assert_eq!(w.a.machine.state(), CallState::Connected);
    assert_eq!(w.b().machine.state(), CallState::Connected);
    assert!(
        w.a.is_sending() && w.b().is_sending(),
        "media flows both ways"
    );
    assert!(
        w.a.stable() && w.b().stable(),
        "no negotiation left open: {:?} / {:?}; {:?} / {:?}",
        w.a.errors,
        w.b().errors,
        w.a.stable(),
        w.b().stable()
    );
    assert_clean(w);
}

#[test]
fn the_second_to_join_offers_and_both_connect_and_chat() {
    let mut w = World::mentor_waiting();
    assert_eq!(w.a.states(), vec![CallState::WaitingForPeer]);
    w.learner_joins("pb");
    assert_in_call(&w);
    assert_eq!(
        w.b().states(),
        vec![CallState::Connecting, CallState::Connected],
        "the second to join never waited"
    );
    assert_eq!(
        w.a.states(),
        vec![
            CallState::WaitingForPeer,
            CallState::Connecting,
            CallState::Connected
        ]
    );
    assert!(w
        .a
        .events
        .iter()
        .any(|e| matches!(e, CallEvent::PeerPresent { user, .. } if user.role == Role::Learner)));
    w.command(Side::A, chat("c1", "hello"));
    assert_eq!(w.b().chats(), vec!["hello"]);
}

#[test]
fn chat_and_media_state_sent_before_the_channel_opens_arrive_once_it_does() {
    let mut w = World::mentor_waiting();
    w.command(Side::A, chat("c1", "I am here"));
    w.command(
        Side::A,
        Command::SetMedia(MediaState {
            audio_muted: true,
            ..Default::default()
        }),
    );
    w.learner_joins("pb");
    assert_in_call(&w);
    assert_eq!(w.b().chats(), vec!["I am here"]);
    assert!(w.b().events.iter().any(|e| matches!(
        e,
        CallEvent::PartnerMedia { state } if state.audio_muted
    )));
}

#[test]
fn glare_the_polite_side_yields_and_both_restart_once() {
    let mut w = World::connected();
    // Both restart ICE at once; their offers cross on the wire.
    w.hold_wire = true;
    w.command(Side::A, Command::RestartIce);
    w.command(Side::B, Command::RestartIce);
    w.release();
    w.advance(Duration::from_millis(100));
    assert_in_call(&w);
    // The impolite side's offer won: its credentials are the new ones, and
    // the polite side's offer was rolled back, not answered.
    assert_eq!((w.a.ice_restarts, w.b().ice_restarts), (1, 1));
}

#[test]
fn glare_while_an_offer_is_being_made() {
    let mut w = World::connected();
    // The learner's offer arrives while the mentor is still making its own.
    w.hold_wire = true;
    w.command(Side::B, Command::RestartIce);
    let now = w.now;
    w.a.machine
        .handle_input(Input::Command(Command::RestartIce), now);
    // The mentor's MakeOffer is not carried out yet: deliver the learner's offer first.
    w.release();
    w.advance(Duration::from_millis(100));
    assert_in_call(&w);
}

#[test]
fn the_partner_replaced_by_another_device_is_called_afresh() {
    let mut w = World::connected();
    let old = w.b.take().expect("learner");
    // The learner opens the call on a second device: the server tells the
    // first device it was replaced, and the mentor that it left.
    let mut old_world_b = old;
    let now = w.now;
    old_world_b.machine.handle_input(
        Input::PeerLeft(PeerLeft {
            peer_id: "pb".into(),
            reason: LeaveReason::Replaced,
        }),
        now,
    );
    let mut old_events = Vec::new();
    while let Some(action) = old_world_b.machine.poll_action() {
        old_events.push(action);
    }
    assert!(old_events.contains(&Action::Emit(CallEvent::Replaced)));
    assert!(old_events.contains(&Action::Stop));
    assert_eq!(old_world_b.machine.state(), CallState::Ended);

    w.server_to(
        Side::A,
        Input::PeerLeft(PeerLeft {
            peer_id: "pb".into(),
            reason: LeaveReason::Replaced,
        }),
    );
    w.run();
    assert_eq!(w.a.machine.state(), CallState::WaitingForPeer);
    w.learner_joins("pb2");
    assert_in_call(&w);
    w.command(Side::B, chat("c1", "from the laptop"));
    assert_eq!(w.a.chats(), vec!["from the laptop"]);
}

#[test]
fn rejoin_after_a_crash() {
    let mut w = World::connected();
    // The learner's process dies: its connection is gone without a word.
    w.b = None;
    w.advance(Duration::from_millis(10));
    // The path is down: the mentor shows it, and restarting ICE cannot help
    // with nobody there.
    w.path_up = false;
    w.advance(Duration::from_secs(1));
    // After the grace period the server says the learner disconnected.
    w.server_to(
        Side::A,
        Input::PeerLeft(PeerLeft {
            peer_id: "pb".into(),
            reason: LeaveReason::Disconnected,
        }),
    );
    w.run();
    assert_eq!(w.a.machine.state(), CallState::WaitingForPeer);
    assert!(w.a.events.iter().any(|e| matches!(
        e,
        CallEvent::PeerLeft {
            reason: LeaveReason::Disconnected,
            ..
        }
    )));
    // The learner starts the app again and joins.
    w.path_up = true;
    w.learner_joins("pb3");
    assert_in_call(&w);
}

#[test]
fn ice_restarts_after_the_path_changes_the_impolite_side_first() {
    let mut w = World::connected();
    w.change_path();
    assert_eq!(w.a.machine.state(), CallState::Reconnecting);
    assert_eq!(w.b().machine.state(), CallState::Reconnecting);
    w.advance(Duration::from_millis(1_500));
    assert_eq!(w.b().ice_restarts, 0, "not before 2 s");
    w.advance(Duration::from_millis(1_000));
    assert_eq!(
        w.b().ice_restarts,
        1,
        "the learner (impolite) restarts at 2 s"
    );
    assert_eq!(w.a.ice_restarts, 0, "the mentor waits for it");
    assert_in_call(&w);
    w.advance(Duration::from_secs(20));
    assert_eq!(
        (w.a.ice_restarts, w.b().ice_restarts),
        (0, 1),
        "once is enough"
    );
    assert_eq!(
        (w.a.connection(), w.b().connection()),
        (Some(1), Some(1)),
        "a restart's offer renegotiates the same connection"
    );
}

#[test]
fn ice_restarts_after_the_path_changes_the_polite_side_as_a_fallback() {
    let mut w = World::connected();
    // A partner that never restarts (an older client, or its timers stuck).
    w.peer(Side::B).timers_frozen = true;
    w.change_path();
    w.advance(Duration::from_secs(11));
    assert_eq!(w.a.ice_restarts, 0, "the polite side waits 12 s");
    w.advance(Duration::from_millis(1_100));
    assert_eq!(w.a.ice_restarts, 1);
    assert_in_call(&w);
}

#[test]
fn a_connection_that_never_comes_up_is_made_again_and_the_partner_follows() {
    let mut w = World::mentor_waiting();
    // Both hold each other's credentials and candidates, and still the
    // first connection never comes up (its DTLS handshake stalled for
    // good): an ICE restart could not start it again.
    w.stalled_generation = Some(1);
    w.learner_joins("pb");
    w.advance(Duration::from_millis(9_500));
    assert_eq!(w.b().machine.state(), CallState::Connecting);
    assert_eq!(
        (w.a.connection(), w.b().connection()),
        (Some(1), Some(1)),
        "not before 10 s"
    );
    w.advance(Duration::from_millis(1_000));
    // The learner (impolite) made a new connection at 10 s, and its offer,
    // with a new certificate, had the mentor's follow.
    assert_eq!((w.a.connection(), w.b().connection()), (Some(2), Some(2)));
    assert_in_call(&w);
    w.advance(Duration::from_secs(30));
    assert_eq!(
        (w.a.connection(), w.b().connection()),
        (Some(2), Some(2)),
        "a connection that came up is kept"
    );
    assert_eq!((w.a.ice_restarts, w.b().ice_restarts), (0, 0));
}

#[test]
fn the_polite_side_makes_the_connection_again_when_the_partner_does_not() {
    let mut w = World::mentor_waiting();
    w.stalled_generation = Some(1);
    w.learner_joins("pb");
    // A partner that never does (an older client, or its timers stuck).
    w.peer(Side::B).timers_frozen = true;
    w.advance(Duration::from_secs(19));
    assert_eq!(w.a.connection(), Some(1), "the polite side waits 20 s");
    w.advance(Duration::from_millis(1_500));
    assert_eq!((w.a.connection(), w.b().connection()), (Some(2), Some(2)));
    assert_in_call(&w);
}

#[test]
fn a_signal_lost_as_the_socket_drops_goes_again_after_the_rejoin() {
    let mut w = World::mentor_waiting();
    // The mentor's socket drops just as the learner's offer arrives: the
    // server keeps the offer for the mentor's resume, and the mentor's answer
    // would be lost in the instant the socket is gone.
    w.hold_wire = true;
    w.learner_joins("pb");
    // The mentor answers: the answer and its candidates fail to leave.
    w.deliver_then_drop(Side::A);
    assert_eq!(w.a.machine.state(), CallState::Connecting);
    assert_eq!(w.b().machine.state(), CallState::Connecting);
    w.advance(Duration::from_secs(1));
    w.rejoin(Side::A);
    assert_in_call(&w);
}

#[test]
fn a_signal_sent_while_the_partners_socket_is_down_waits_for_it() {
    let mut w = World::connected();
    w.drop_socket(Side::A);
    w.change_path();
    w.advance(Duration::from_secs(3)); // the learner's restart offer is held
    assert_eq!(w.b().ice_restarts, 1);
    assert_eq!(w.a.machine.state(), CallState::Reconnecting);
    w.rejoin(Side::A);
    assert_in_call(&w);
}

#[test]
fn a_data_channel_message_during_renegotiation_arrives_once() {
    let mut w = World::connected();
    w.hold_wire = true;
    w.command(Side::B, Command::RestartIce);
    // Mid-negotiation (offer made, not answered): chat both ways.
    w.command(Side::B, chat("b1", "can you see my screen?"));
    w.command(Side::A, chat("a1", "one moment"));
    w.release();
    assert_in_call(&w);
    assert_eq!(w.a.chats(), vec!["can you see my screen?"]);
    assert_eq!(w.b().chats(), vec!["one moment"]);
    // A resend after a reconnect (same id) is shown once.
    w.command(Side::B, chat("b1", "can you see my screen?"));
    assert_eq!(w.a.chats().len(), 1);
}

#[test]
fn a_message_sent_while_the_path_is_down_arrives_after_the_restart() {
    let mut w = World::connected();
    w.change_path();
    w.command(Side::A, chat("a1", "are you there?"));
    assert!(w.b().chats().is_empty());
    w.advance(Duration::from_secs(3));
    assert_in_call(&w);
    assert_eq!(w.b().chats(), vec!["are you there?"]);
}

#[test]
fn the_media_state_is_told_again_to_a_new_connection() {
    let mut w = World::connected();
    w.command(
        Side::A,
        Command::SetMedia(MediaState {
            video_off: true,
            ..Default::default()
        }),
    );
    w.server_to(
        Side::A,
        Input::PeerLeft(PeerLeft {
            peer_id: "pb".into(),
            reason: LeaveReason::Replaced,
        }),
    );
    w.b = None;
    w.run();
    w.learner_joins("pb2");
    assert_in_call(&w);
    assert!(w.b().events.iter().any(|e| matches!(
        e,
        CallEvent::PartnerMedia { state } if state.video_off
    )));
}

#[test]
fn keyframes_asked_over_the_data_channel_reach_the_encoder() {
    let mut w = World::connected();
    w.peer(Side::A).events.clear();
    w.command(Side::B, Command::RequestKeyframe);
    assert_eq!(w.b().plis_sent, 1, "RTCP PLI");
    assert!(w.a.events.contains(&CallEvent::KeyframeRequested));
}

#[test]
fn unknown_and_broken_messages_are_ignored() {
    let mut w = World::connected();
    let now = w.now;
    for text in [r#"{"type":"reaction","emoji":"x"}"#, "not json", "{}"] {
        w.a.machine.handle_input(
            Input::Peer {
                generation: 1,
                input: PeerInput::DataText(text.into()),
            },
            now,
        );
    }
    w.run();
    assert_in_call(&w);
    assert!(!w
        .a
        .events
        .iter()
        .any(|e| matches!(e, CallEvent::Chat { .. } | CallEvent::PartnerMedia { .. })));
}

#[test]
fn hang_up_leaves_and_stops() {
    let mut w = World::connected();
    w.command(Side::A, Command::HangUp);
    assert!(w.a.stopped);
    assert_eq!(w.a.machine.state(), CallState::Ended);
    // The learner's path goes; the server tells it the mentor left.
    w.server_to(
        Side::B,
        Input::PeerLeft(PeerLeft {
            peer_id: "pa".into(),
            reason: LeaveReason::Left,
        }),
    );
    w.run();
    assert_eq!(w.b().machine.state(), CallState::WaitingForPeer);
}

#[test]
fn stats_come_every_second_with_the_state() {
    let mut w = World::connected();
    w.peer(Side::A).events.clear();
    w.advance(Duration::from_millis(3_000));
    let stats: Vec<_> =
        w.a.events
            .iter()
            .filter_map(|e| match e {
                CallEvent::Stats { stats } => Some(stats.state),
                _ => None,
            })
            .collect();
    assert_eq!(stats, vec![CallState::Connected; 3]);
}

#[test]
fn a_message_the_channel_refuses_goes_again_once_it_is_open() {
    let mut w = World::mentor_waiting();
    w.peer(Side::A).refuse_sends = 1;
    w.command(Side::A, muted_without_camera());
    w.learner_joins("pb");
    assert_in_call(&w);
    assert!(
        !w.b()
            .events
            .iter()
            .any(|e| matches!(e, CallEvent::PartnerMedia { .. })),
        "refused at first"
    );
    w.advance(Duration::from_millis(1_100));
    assert!(w.b().events.iter().any(|e| matches!(
        e,
        CallEvent::PartnerMedia { state } if state.audio_muted && state.video_off
    )));
}

#[test]
fn messages_go_even_when_the_channel_never_says_it_opened() {
    let mut w = World::mentor_waiting();
    // The stack loses the channel's open event on the mentor's side.
    w.peer(Side::A).lose_data_open = true;
    w.command(Side::A, muted_without_camera());
    w.command(Side::A, chat("a1", "hello?"));
    w.learner_joins("pb");
    assert_in_call(&w);
    w.advance(Duration::from_millis(1_100));
    assert_eq!(w.b().chats(), vec!["hello?"]);
    assert!(w.b().events.iter().any(|e| matches!(
        e,
        CallEvent::PartnerMedia { state } if state.video_off
    )));
}

#[test]
fn the_media_state_is_said_again_when_the_first_is_lost_at_the_open() {
    let mut w = World::mentor_waiting();
    w.command(Side::A, muted_without_camera());
    w.learner_joins("pb");
    assert_in_call(&w);
    let told = |w: &World| {
        w.b()
            .events
            .iter()
            .filter(|e| matches!(e, CallEvent::PartnerMedia { .. }))
            .count()
    };
    assert_eq!(told(&w), 1);
    w.advance(MEDIA_RESEND_AFTER + Duration::from_millis(100));
    assert_eq!(told(&w), 2, "said once more after the open");
    w.advance(Duration::from_secs(10));
    assert_eq!(told(&w), 2, "and only once");
}

#[test]
fn a_media_state_lost_at_the_open_still_reaches_the_partner() {
    let mut w = World::mentor_waiting();
    w.command(Side::A, muted_without_camera());
    w.hold_wire = true;
    w.learner_joins("pb");
    w.peer(Side::B).lose_first_messages = 1;
    w.release();
    assert_in_call(&w);
    let told = |w: &World| {
        w.b().events.iter().any(|e| {
            matches!(
                e,
                CallEvent::PartnerMedia { state } if state.audio_muted && state.video_off
            )
        })
    };
    assert!(!told(&w), "the first was lost");
    w.advance(MEDIA_RESEND_AFTER + Duration::from_millis(100));
    assert!(told(&w), "the second arrived");
}

// Screen sharing: a second video transceiver, renegotiated under perfect
// negotiation and announced with its mid on the data channel.

fn partner_screens(peer: &super::sim::Peer) -> Vec<bool> {
    peer.events
        .iter()
        .filter_map(|e| match e {
            CallEvent::PartnerScreen { share } => Some(share.active),
            _ => None,
        })
        .collect()
}

#[test]
fn a_share_is_negotiated_announced_and_routed_by_its_mid() {
    let mut w = World::connected();
    w.command(Side::A, Command::ShareScreen(true));
    w.advance(Duration::from_millis(50));
    assert!(
        w.a.sends_screen(),
        "the mentor's screen is on a negotiated m-line"
    );
    assert!(
        w.b().sees_partner_screen(),
        "the learner shows it as the screen"
    );
    assert_eq!(partner_screens(w.b()), vec![true]);
    assert_in_call(&w);
    // The camera never stopped: no new connection, no ICE restart.
    assert_eq!(w.b().states().last(), Some(&CallState::Connected));
    assert_eq!((w.a.ice_restarts, w.b().ice_restarts), (0, 0));
}

#[test]
fn stopping_and_sharing_again_reuses_the_transceiver() {
    let mut w = World::connected();
    for _ in 0..2 {
        w.command(Side::B, Command::ShareScreen(true));
        w.advance(Duration::from_millis(50));
        assert!(w.a.sees_partner_screen());
        w.command(Side::B, Command::ShareScreen(false));
        w.advance(Duration::from_millis(50));
        assert!(!w.a.sees_partner_screen(), "a stopped share is gone");
        assert!(!w.b().sends_screen());
        assert_in_call(&w);
    }
    assert_eq!(partner_screens(&w.a), vec![true, false, true, false]);
}

#[test]
fn both_share_at_once_with_their_offers_crossing() {
    let mut w = World::connected();
    w.hold_wire = true;
    w.command(Side::A, Command::ShareScreen(true));
    w.command(Side::B, Command::ShareScreen(true));
    w.release();
    w.advance(Duration::from_millis(100));
    assert!(w.a.sends_screen() && w.b().sends_screen());
    assert!(w.a.sees_partner_screen() && w.b().sees_partner_screen());
    assert_in_call(&w);
}

#[test]
fn a_share_started_during_an_ice_restart_waits_for_it_and_goes() {
    let mut w = World::connected();
    // The learner's offer (an ICE restart) is in flight when the mentor shares.
    w.hold_wire = true;
    w.command(Side::B, Command::RestartIce);
    w.command(Side::A, Command::ShareScreen(true));
    w.release();
    w.advance(Duration::from_millis(100));
    assert!(w.a.sends_screen());
    assert!(w.b().sees_partner_screen());
    assert_in_call(&w);
}

#[test]
fn a_share_survives_an_ice_restart_after_the_path_changes() {
    let mut w = World::connected();
    w.command(Side::A, Command::ShareScreen(true));
    w.advance(Duration::from_millis(50));
    w.change_path();
    w.advance(Duration::from_secs(20));
    assert_in_call(&w);
    assert!(w.a.sends_screen());
    assert!(
        w.b().sees_partner_screen(),
        "still routed after the restart"
    );
    assert_eq!(
        partner_screens(w.b()),
        vec![true],
        "no flicker: announced once"
    );
}

#[test]
fn a_share_goes_on_a_new_connection_after_the_partner_crashes_and_rejoins() {
    let mut w = World::connected();
    w.command(Side::A, Command::ShareScreen(true));
    w.advance(Duration::from_millis(50));
    // The learner's app dies and comes back: a new connection from scratch.
    w.b = None;
    w.server_to(
        Side::A,
        Input::PeerLeft(PeerLeft {
            peer_id: "pb".into(),
            reason: LeaveReason::Disconnected,
        }),
    );
    w.learner_joins("pb2");
    w.advance(Duration::from_millis(100));
    assert_in_call(&w);
    assert!(w.a.sends_screen());
    assert!(
        w.b().sees_partner_screen(),
        "the new connection carries the share"
    );
}

#[test]
fn a_share_started_before_the_partner_arrives_goes_with_the_first_connection() {
    let mut w = World::mentor_waiting();
    w.command(Side::A, Command::ShareScreen(true));
    w.learner_joins("pb");
    w.advance(Duration::from_millis(100));
    assert_in_call(&w);
    assert!(w.a.sends_screen());
    assert!(w.b().sees_partner_screen());
}

#[test]
fn a_partner_that_never_shares_sees_no_change() {
    let mut w = World::connected();
    w.command(Side::A, chat("c1", "no screens here"));
    w.advance(Duration::from_secs(3));
    assert!(!w.a.sends_screen() && !w.b().sees_partner_screen());
    assert!(partner_screens(w.b()).is_empty());
    assert!(w.a.routed_screen.is_none());
}

#[test]
fn a_share_announcement_lost_at_the_open_still_reaches_the_partner() {
    let mut w = World::mentor_waiting();
    w.command(Side::A, Command::ShareScreen(true));
    w.hold_wire = true;
    w.learner_joins("pb");
    // What the mentor first says on the channel is lost (webrtc can).
    w.peer(Side::B).lose_first_messages = 1;
    w.release();
    w.advance(Duration::from_millis(100));
    assert_in_call(&w);
    assert!(!w.b().sees_partner_screen(), "the first word was lost");
    w.advance(MEDIA_RESEND_AFTER);
    assert!(w.b().sees_partner_screen(), "said again, it arrived");
    assert_eq!(partner_screens(w.b()), vec![true]);
}

#[test]
fn a_share_stopped_and_started_again_within_one_negotiation_still_goes() {
    let mut w = World::connected();
    w.command(Side::A, Command::ShareScreen(true));
    w.advance(Duration::from_millis(50));
    // Stop, and share again before the stop's offer is answered.
    w.hold_wire = true;
    w.command(Side::A, Command::ShareScreen(false));
    w.command(Side::A, Command::ShareScreen(true));
    w.release();
    w.advance(Duration::from_millis(100));
    assert_in_call(&w);
    assert!(w.a.sends_screen());
    assert!(
        w.b().sees_partner_screen(),
        "the second share is negotiated and announced"
    );
}

#[test]
fn each_share_has_its_own_mid_and_each_side_routes_the_others() {
    let mut w = World::connected();
    w.command(Side::A, Command::ShareScreen(true));
    w.command(Side::B, Command::ShareScreen(true));
    w.advance(Duration::from_millis(100));
    assert_eq!(
        w.b().routed_screen.as_deref(),
        Some(super::sim::screen_mid(Side::A))
    );
    assert_eq!(
        w.a.routed_screen.as_deref(),
        Some(super::sim::screen_mid(Side::B))
    );
    // One stops: only that one goes from the other's view.
    w.command(Side::B, Command::ShareScreen(false));
    w.advance(Duration::from_millis(100));
    assert!(!w.a.sees_partner_screen());
    assert!(w.b().sees_partner_screen(), "the mentor's share goes on");
}

#[test]
fn a_lost_stop_is_made_good_by_the_media_state() {
    let mut w = World::connected();
    w.command(Side::A, Command::SetMedia(MediaState::default()));
    w.command(Side::A, Command::ShareScreen(true));
    w.advance(Duration::from_millis(50));
    assert!(w.b().sees_partner_screen());
    // The stop's `screen` message is lost; the media state that follows says it.
    w.peer(Side::B).lose_first_messages = 1;
    w.command(Side::A, Command::ShareScreen(false));
    w.advance(Duration::from_millis(50));
    assert_eq!(w.b().routed_screen, None, "not stuck on a share that ended");
    assert_eq!(partner_screens(w.b()), vec![true, false]);
}

fn recording_of(peer: &super::sim::Peer) -> (super::OurRecording, super::TheirRecording) {
    let view = peer.recording().expect("a recording view was shown");
    (view.ours, view.theirs)
}

#[test]
fn recording_starts_only_after_consent_and_survives_an_ice_restart() {
    use super::{OurRecording as O, TheirRecording as T};
    let mut w = World::connected();
    w.command(Side::A, Command::RequestRecording { id: "r1".into() });
    w.advance(Duration::from_millis(100));
    assert!(
        !w.a.recorder_running,
        "nothing is recorded before the answer"
    );
    assert_eq!(recording_of(w.b()), (O::Off, T::Asking));
    w.command(Side::B, Command::AnswerRecording { accept: true });
    w.advance(Duration::from_millis(100));
    assert!(w.a.recorder_running);
    assert_eq!(recording_of(&w.a), (O::Recording, T::Off));
    assert_eq!(recording_of(w.b()), (O::Off, T::Recording));
    w.change_path();
    w.advance(Duration::from_secs(20));
    assert_in_call(&w);
    assert!(w.a.recorder_running, "a reconnect does not stop it");
    assert_eq!(
        recording_of(w.b()),
        (O::Off, T::Recording),
        "still shown after the restart"
    );
    // Revoked: stopped at once, on both sides.
    w.command(Side::B, Command::RevokeRecording);
    w.advance(Duration::from_millis(100));
    assert!(!w.a.recorder_running);
    assert_eq!(
        w.a.recording().and_then(|v| v.ended),
        Some(super::RecordingEnd::Revoked)
    );
    assert_eq!(recording_of(w.b()), (O::Off, T::Off));
    assert_clean(&w);
}

#[test]
fn an_unanswered_request_is_a_decline_after_thirty_seconds() {
    let mut w = World::connected();
    w.command(Side::A, Command::RequestRecording { id: "r1".into() });
    w.advance(super::ANSWER_WITHIN - Duration::from_secs(1));
    assert_eq!(
        w.a.recording().map(|v| v.ours),
        Some(super::OurRecording::Asking)
    );
    w.advance(Duration::from_secs(2));
    assert!(!w.a.recorder_running);
    assert_eq!(
        w.a.recording().and_then(|v| v.ended),
        Some(super::RecordingEnd::NoAnswer)
    );
    assert_eq!(
        w.b().recording().map(|v| v.theirs),
        Some(super::TheirRecording::Off),
        "the question went away on the partner's side too"
    );
}

#[test]
fn hanging_up_stops_the_recording_and_the_partner_sees_it_end() {
    let mut w = World::connected();
    w.command(Side::A, Command::RequestRecording { id: "r1".into() });
    w.advance(Duration::from_millis(100));
    w.command(Side::B, Command::AnswerRecording { accept: true });
    w.advance(Duration::from_millis(100));
    assert!(w.a.recorder_running);
    w.command(Side::A, Command::HangUp);
    assert!(!w.a.recorder_running);
    // Whether or not the `stopped` crosses before the connection closes,
    // the server says the recorder left, which ends it too.
    w.server_to(
        Side::B,
        Input::PeerLeft(PeerLeft {
            peer_id: "pa".into(),
            reason: LeaveReason::Left,
        }),
    );
    w.run();
    assert_eq!(
        w.b().recording().map(|v| v.theirs),
        Some(super::TheirRecording::Off)
    );
}

fn report_of(peer: &super::sim::Peer) -> mentorlive_protocol::analytics::CallReport {
    peer.events
        .iter()
        .find_map(|e| match e {
            CallEvent::Report { report } => Some((**report).clone()),
            _ => None,
        })
        .expect("a report when the call ended")
}

#[test]
fn the_report_says_when_it_connected_what_was_shared_and_why_it_ended() {
    use mentorlive_protocol::analytics::{ClientKind, EndReason};
    let joined_at = time::OffsetDateTime::from_unix_timestamp(1_796_000_000).expect("time");
    let mut w = World::mentor_waiting();
    w.a.machine.set_report_identity(ReportIdentity {
        client: ClientKind::Desktop,
        client_version: "1.2.3".into(),
        joined_at,
    });
    w.advance(Duration::from_secs(2));
    w.learner_joins("pb");
    assert_in_call(&w);
    w.advance(Duration::from_secs(3));
    w.command(Side::A, Command::ShareScreen(true));
    w.advance(Duration::from_secs(2));
    w.command(Side::A, Command::ShareScreen(false));
    w.advance(Duration::from_secs(1));
    // The learner hangs up; the mentor is told, then hangs up too.
    w.command(Side::B, Command::HangUp);
    let theirs = report_of(w.b());
    assert_eq!(theirs.end_reason, EndReason::Hangup);
    assert_eq!(theirs.peer_id, "pb");
    w.server_to(
        Side::A,
        Input::PeerLeft(PeerLeft {
            peer_id: "pb".into(),
            reason: LeaveReason::Left,
        }),
    );
    w.advance(Duration::from_secs(1));
    assert!(
        !w.a.events
            .iter()
            .any(|e| matches!(e, CallEvent::Report { .. })),
        "the partner leaving does not end our call"
    );
    w.command(Side::A, Command::HangUp);
    let ours = report_of(&w.a);
    assert_eq!(ours.peer_id, "pa");
    assert_eq!(ours.client, ClientKind::Desktop);
    assert_eq!(ours.client_version, "1.2.3");
    assert_eq!(ours.joined_at, joined_at);
    assert_eq!(
        ours.end_reason,
        EndReason::PartnerLeft,
        "a hang-up after the partner left is put down to their leaving"
    );
    // Connected about 2 s after joining (the learner came then); ended at
    // 2 + 3 + 2 + 1 + 1 s.
    let connected = (ours.connected_at.expect("connected") - joined_at).whole_milliseconds();
    assert!((2000..2100).contains(&connected), "{connected} ms");
    let length = (ours.ended_at - joined_at).whole_milliseconds();
    assert!((9000..9200).contains(&length), "{length} ms");
    assert!((ours.screen_share_seconds - 2.0).abs() < 0.05, "{ours:?}");
    assert_eq!(ours.reconnects, 0);
    assert!(!ours.recorded);
    assert!(
        ours.problems(ours.ended_at).is_empty(),
        "{:?}",
        ours.problems(ours.ended_at)
    );
}

#[test]
fn a_cut_in_the_target_reaches_the_encoder_at_once() {
    let mut w = World::connected();
    let generation = w.a.connection().expect("a connection");
    let told = |w: &World| -> Vec<u64> {
        w.a.events
            .iter()
            .filter_map(|e| match e {
                CallEvent::TargetBitrate { bps } => Some(*bps),
                _ => None,
            })
            .collect()
    };
    let cut = |bps| Input::Peer {
        generation,
        input: PeerInput::TargetCut { bps },
    };
    w.input(Side::A, cut(300_000));
    assert_eq!(told(&w), vec![300_000], "not at the next second's figures");
    w.input(Side::A, cut(290_000));
    assert_eq!(
        told(&w),
        vec![300_000],
        "a move under 5 % is not worth an encoder's change"
    );
    w.input(Side::A, cut(200_000));
    assert_eq!(told(&w), vec![300_000, 200_000]);
    // A connection replaced since has no say.
    w.input(
        Side::A,
        Input::Peer {
            generation: generation + 1,
            input: PeerInput::TargetCut { bps: 100_000 },
        },
    );
    assert_eq!(told(&w), vec![300_000, 200_000]);
}
