//! The TypeScript types the UI uses, generated from these Rust types (never
//! written by hand). A test fails when `ui/src/generated/types.ts` is stale;
//! `MENTORLIVE_UPDATE_BINDINGS=1 cargo test -p mentorlive-app bindings`
//! rewrites it.

#[cfg(test)]
mod tests {
    use crate::background::{TrayAction, TrayView};
    use crate::bench::{ProcessFigures, ProcessMemory};
    use crate::call::{CallJoined, RunningCall};
    use crate::commands::{AppInfo, LiveCodeView};
    use crate::event_sink::TimedCallEvent;
    use crate::export::ExportStarted;
    use crate::links::LinkEvent;
    use crate::recordings::{RecordingEntry, RecordingList};
    use crate::updates::UpdateInfo;
    use mentorlive_client::{AppErrorCode, ClientError};
    use mentorlive_engine::machine::{OurRecording, RecordingEnd, TheirRecording};
    use mentorlive_engine::{CallEvent, CallState, CallStats, RecordingView, SavedRecording};
    use mentorlive_protocol::analytics::{
        AudioFigures, CallReport, CandidateType, ClientKind, EndReason, MyAnalytics,
        ParticipantReport, Problem, QualityFigures, Rating, RttFigures, SessionAnalytics,
        SessionCall, TimePercentiles, VideoFigures, WeekFigures,
    };
    use mentorlive_protocol::peer_messages::{
        ChatMessage, DataMessage, IceCandidate, MediaState, RecordAction, RecordMessage,
        ScreenShare, SignalData,
    };
    use mentorlive_protocol::signaling::{LeaveReason, PeerUser};
    use mentorlive_protocol::{
        ErrorCode, Participant, Role, Session, SessionStatus, User, ValidateLiveCodeResponse,
    };
    use ts_rs::{Config, TS};

    fn render() -> String {
        // Counters travel as JSON numbers and stay far below 2^53.
        let cfg = Config::new().with_large_int("number");
        let decls = [
            User::decl(&cfg),
            Role::decl(&cfg),
            Participant::decl(&cfg),
            SessionStatus::decl(&cfg),
            Session::decl(&cfg),
            ValidateLiveCodeResponse::decl(&cfg),
            ErrorCode::decl(&cfg),
            AppErrorCode::decl(&cfg),
            ClientError::decl(&cfg),
            LiveCodeView::decl(&cfg),
            AppInfo::decl(&cfg),
            LinkEvent::decl(&cfg),
            PeerUser::decl(&cfg),
            LeaveReason::decl(&cfg),
            CallState::decl(&cfg),
            CallStats::decl(&cfg),
            ChatMessage::decl(&cfg),
            MediaState::decl(&cfg),
            ScreenShare::decl(&cfg),
            RecordAction::decl(&cfg),
            RecordMessage::decl(&cfg),
            DataMessage::decl(&cfg),
            IceCandidate::decl(&cfg),
            SignalData::decl(&cfg),
            OurRecording::decl(&cfg),
            TheirRecording::decl(&cfg),
            RecordingEnd::decl(&cfg),
            RecordingView::decl(&cfg),
            SavedRecording::decl(&cfg),
            ClientKind::decl(&cfg),
            EndReason::decl(&cfg),
            CandidateType::decl(&cfg),
            RttFigures::decl(&cfg),
            VideoFigures::decl(&cfg),
            AudioFigures::decl(&cfg),
            Problem::decl(&cfg),
            Rating::decl(&cfg),
            CallReport::decl(&cfg),
            TimePercentiles::decl(&cfg),
            QualityFigures::decl(&cfg),
            WeekFigures::decl(&cfg),
            MyAnalytics::decl(&cfg),
            ParticipantReport::decl(&cfg),
            SessionCall::decl(&cfg),
            SessionAnalytics::decl(&cfg),
            CallEvent::decl(&cfg),
            TimedCallEvent::decl(&cfg),
            CallJoined::decl(&cfg),
            RunningCall::decl(&cfg),
            UpdateInfo::decl(&cfg),
            RecordingEntry::decl(&cfg),
            RecordingList::decl(&cfg),
            ExportStarted::decl(&cfg),
            ProcessFigures::decl(&cfg),
            ProcessMemory::decl(&cfg),
            TrayAction::decl(&cfg),
            TrayView::decl(&cfg),
        ];
        let mut out = String::from(
            "// Generated from the Rust types by src-tauri/src/bindings.rs. Do not edit.\n\n",
        );
        for decl in decls {
            out.push_str("export ");
            out.push_str(&decl);
            out.push_str("\n\n");
        }
        out
    }

    #[test]
    fn typescript_bindings_are_fresh() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/generated/types.ts");
        let fresh = render();
        if std::env::var_os("MENTORLIVE_UPDATE_BINDINGS").is_some() {
            std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
            std::fs::write(&path, &fresh).expect("write");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == fresh,
            "ui/src/generated/types.ts is stale: run `MENTORLIVE_UPDATE_BINDINGS=1 cargo test -p mentorlive-app bindings`"
        );
    }
}
