// Generated from the Rust types by src-tauri/src/bindings.rs. Do not edit.

export type User = { id: string, email: string, name: string, role: Role, };

export type Role = "mentor" | "learner";

export type Participant = { id: string, name: string, };

export type SessionStatus = "upcoming" | "live" | "completed" | "cancelled";

export type Session = { id: string, title: string, mentor: Participant, learner: Participant, scheduledAt: string, durationMinutes: number, status: SessionStatus, liveSessionCode: string | null, liveSessionCreatedAt: string | null, liveSessionExpiresAt: string | null, };

export type ValidateLiveCodeResponse = { valid: boolean, sessionId: string, expiresAt: string, session: Session, };

export type ErrorCode = "invalid_input" | "email_taken" | "invalid_credentials" | "rate_limited" | "unauthorized" | "not_participant" | "not_found" | "session_not_active" | "malformed_code" | "unknown_code" | "expired_code" | "room_full" | "unknown_peer" | "not_joined" | "payload_too_large" | "method_not_allowed" | "internal" | "other";

export type AppErrorCode = "invalid_server_url" | "insecure_server" | "network" | "timeout" | "unexpected_response" | "not_connected" | "keychain_unavailable" | "keychain_refused" | "settings" | "call_failed" | "no_call" | "no_relay" | "invalid_chat" | "open_failed" | "disk_full" | "recording_failed" | "export_failed" | "notification_failed" | "tray_failed" | "bench_failed" | "no_webcodecs" | "update_signature_invalid" | "update_insecure" | "update_unreachable" | "update_none" | "update_in_call" | "update_failed" | ErrorCode;

export type ClientError = { code: AppErrorCode, message: string, };

export type LiveCodeView = { code: string, 
/**
 * `ABCD EFGH`
 */
grouped: string, 
/**
 * `{server}/join/CODE`: the platform's invitation page.
 */
inviteLink: string, sessionId: string, expiresAt: string, isNew: boolean, };

export type AppInfo = { version: string, serverUrl: string, account: string | null, logsDir: string, cameraId: string | null, microphoneId: string | null, speakerId: string | null, 
/**
 * Whether call-quality reports and ratings go to the server.
 */
shareCallReports: boolean, 
/**
 * Whether calls connect only through the server's relay.
 */
relayOnly: boolean, 
/**
 * Whether the UI may expose figures for tests and benchmarks
 * (`window.mentorlive*`): debug builds and `--features bench` only.
 */
testHooks: boolean, };

export type LinkEvent = { "kind": "join", code: string, checkFirst: boolean, } | { "kind": "refused", message: string, };

export type PeerUser = { id: string, name: string, role: Role, };

export type LeaveReason = "left" | "disconnected" | "replaced";

export type CallState = "waiting_for_peer" | "connecting" | "connected" | "reconnecting" | "ended";

export type CallStats = { state: CallState, rttMs: number | null, jitterMs: number | null, 
/**
 * Fraction of the partner's packets lost in this second.
 */
loss: number, bitrateInKbps: number, bitrateOutKbps: number, targetBitrateKbps: number | null, videoFramesIn: number, audioFramesIn: number, screenFramesOut: number, screenFramesIn: number, videoFramesOut: number, audioFramesOut: number, framesInDropped: number, framesOutDropped: number, 
/**
 * Video frames kept out of a long send queue on a narrow link; the
 * partner held the last picture and got a keyframe after.
 */
framesOutShed: number, packetsInLost: number, keyframesRequestedByUs: number, keyframesRequestedOfUs: number, };

export type ChatMessage = { text: string, id: string, sentAt: string, };

export type MediaState = { audioMuted: boolean, videoOff: boolean, screen: boolean, };

export type ScreenShare = { active: boolean, mid?: string, };

export type RecordAction = "request" | "accept" | "decline" | "started" | "stopped" | "revoke";

export type RecordMessage = { action: RecordAction, id: string, };

export type DataMessage = { "type": "chat" } & ChatMessage | { "type": "media" } & MediaState | { "type": "screen" } & ScreenShare | { "type": "record" } & RecordMessage | { "type": "keyframe" };

export type IceCandidate = { candidate: string, sdpMid: string | null, sdpMLineIndex: number | null, };

export type SignalData = { "type": "offer", sdp: string, } | { "type": "answer", sdp: string, } | { "type": "candidate", candidate: IceCandidate, };

export type OurRecording = "off" | "asking" | "recording";

export type TheirRecording = "off" | "asking" | "allowed" | "recording";

export type RecordingEnd = "declined" | "no_answer" | "revoked" | "stopped" | "partner_left" | "failed";

export type RecordingView = { ours: OurRecording, theirs: TheirRecording, 
/**
 * What just ended, if this change is an end.
 */
ended?: RecordingEnd, };

export type SavedRecording = { path: string, 
/**
 * The chat beside it (WebVTT), if anyone wrote.
 */
chat_path?: string, duration_ms: number, bytes: number, 
/**
 * Stopped because the disk was nearly full.
 */
disk_full: boolean, };

export type ClientKind = "desktop" | "web" | "cli";

export type EndReason = "hangup" | "partner_left" | "connection_lost" | "replaced" | "error";

export type CandidateType = "host" | "srflx" | "prflx" | "relay";

export type RttFigures = { p50: number, p95: number, };

export type VideoFigures = { framesSent: number, framesReceived: number, 
/**
 * Frame intervals over max(3× the average, average + 150 ms).
 */
freezes: number, freezeSeconds: number, kbpsSent: number, kbpsReceived: number, };

export type AudioFigures = { packetsSent: number, packetsReceived: number, concealedSeconds: number, };

export type Problem = "audio" | "video" | "connection" | "screen" | "other";

export type Rating = { 
/**
 * 1 to 5.
 */
stars: number, problems: Array<Problem>, };

export type CallReport = { 
/**
 * The peer id the server gave this client in the room.
 */
peerId: string, client: ClientKind, clientVersion: string, joinedAt: string, 
/**
 * When media first flowed; absent when the call never connected.
 */
connectedAt?: string | undefined, endedAt: string, endReason: EndReason, candidateType: CandidateType | null, reconnects: number, rttMs: RttFigures, lossPercent: number, jitterMs: number, video: VideoFigures, audio: AudioFigures, 
/**
 * The E-model's estimate, 1 to 5.
 */
mos?: number, screenShareSeconds: number, recorded: boolean, rating?: Rating, };

export type TimePercentiles = { p50: number | null, p90: number | null, };

export type QualityFigures = { 
/**
 * Mean opinion score, 1 to 5.
 */
mos: number | null, rttMs: number | null, lossPercent: number | null, freezesPerMinute: number | null, 
/**
 * The people's own stars, 1 to 5, over the calls they rated.
 */
stars: number | null, };

export type WeekFigures = { weekStart: string, calls: number, minutes: number, connected: number, timeToConnectP50Ms: number | null, mos: number | null, };

export type MyAnalytics = { from: string, to: string, calls: number, minutes: number, 
/**
 * Calls in which media flowed, over all calls (0 to 1).
 */
connectedShare: number | null, timeToConnectMs: TimePercentiles, 
/**
 * Connected calls relayed through TURN, over connected calls (0 to 1).
 */
relayedShare: number | null, quality: QualityFigures, screenShareMinutes: number, callsWithScreenShare: number, recordedCalls: number, 
/**
 * Every week of the range, oldest first, empty weeks included.
 */
weeks: Array<WeekFigures>, };

export type ParticipantReport = { userId: string, name: string, report: CallReport, };

export type SessionCall = { startedAt: string, endedAt: string, reports: Array<ParticipantReport>, };

export type SessionAnalytics = { sessionId: string, calls: Array<SessionCall>, };

export type CallEvent = { "event": "joined", session_id: string, peer_id: string, polite: boolean, } | { "event": "peer_present", peer_id: string, user: PeerUser, } | { "event": "peer_left", peer_id: string, reason: LeaveReason, } | { "event": "state", state: CallState, } | { "event": "signaling", state: string, } | { "event": "keyframe_requested" } | { "event": "screen_keyframe_requested" } | { "event": "target_bitrate", bps: number, } | { "event": "stats", stats: CallStats, } | { "event": "chat", message: ChatMessage, } | { "event": "partner_media", state: MediaState, } | { "event": "partner_screen", share: ScreenShare, } | { "event": "recording", recording: RecordingView, } | { "event": "recording_saved", saved: SavedRecording, } | { "event": "recording_failed", message: string, } | { "event": "replaced" } | { "event": "report", report: CallReport, };

export type TimedCallEvent = { 
/**
 * Milliseconds since the Unix epoch (the page's `Date.now()` clock).
 */
atMs: number, event: CallEvent, };

export type CallJoined = { 
/**
 * The media bridge's address, secret included: the UI's only copy.
 */
bridgeUrl: string, };

export type RunningCall = { code: string, sessionTitle: string, partnerName: string, audioMuted: boolean, videoOff: boolean, };

export type UpdateInfo = { version: string, currentVersion: string, notes: string | null, };

export type RecordingEntry = { path: string, fileName: string, title: string, partner: string, 
/**
 * Milliseconds since the Unix epoch.
 */
startedAtMs: number, durationMs: number, bytes: number, 
/**
 * It was cut off (a crash) and completed when this list was read.
 */
repaired: boolean, 
/**
 * Its export as one video, when there is one.
 */
exported: string | null, };

export type RecordingList = { folder: string, recordings: Array<RecordingEntry>, };

export type ExportStarted = { path: string, sourceBytes: number, };

export type ProcessFigures = { cpuSeconds: number, 
/**
 * Proportional set size: shared pages split between their users, so
 * the processes of one app add up honestly.
 */
pssBytes: number, processes: number, 
/**
 * Each process's share, so a figure can say which one to cut.
 */
split: Array<ProcessMemory>, };

export type ProcessMemory = { 
/**
 * The command name: `mentorlive`, `WebKitWebProces`, `WebKitNetworkP`.
 */
name: string, pssBytes: number, 
/**
 * Heap, stacks and other private memory the process made.
 */
pssAnonBytes: number, 
/**
 * Mapped files: the libraries' code and data, shared with whoever
 * else maps them.
 */
pssFileBytes: number, };

export type TrayAction = "show" | "toggle_mute" | "hang_up" | "quit";

export type TrayView = { status: string, mute: string, };

