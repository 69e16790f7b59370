//! Lets the partner's keyframe requests through to us, and reads the loss
//! their receiver reports give for congestion control (congestion.rs).
//!
//! webrtc 0.21 ends inbound RTCP at the last interceptor of the chain: it is
//! meant for the interceptors (reports, NACKs, congestion feedback), and
//! only packets an interceptor marks `DeliverToApplication` reach the
//! tracks. A keyframe request (RTCP PLI or FIR) must reach us: only our
//! encoder can answer it. Without this, a browser's requests after loss
//! went nowhere, and two engines relied on the data channel's `keyframe`.

use crate::congestion::ReportedLoss;
use rtc::interceptor::{Attribute, Interceptor, Packet, StreamInfo, TaggedPacket};
use rtc::rtcp::payload_feedbacks::full_intra_request::FullIntraRequest;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtcp::receiver_report::ReceiverReport;
use rtc::rtcp::sender_report::SenderReport;
use rtc::sansio::Protocol;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

/// Marks inbound RTCP that asks for a keyframe for delivery, and records
/// the fraction lost of reception reports; passes everything on.
pub struct KeyframeRequests {
    reported_loss: Arc<ReportedLoss>,
    read: VecDeque<TaggedPacket>,
    write: VecDeque<TaggedPacket>,
}

impl KeyframeRequests {
    pub fn new(reported_loss: Arc<ReportedLoss>) -> Self {
        Self {
            reported_loss,
            read: VecDeque::new(),
            write: VecDeque::new(),
        }
    }
}

/// The fraction lost of every reception report block in a compound packet.
/// The partner's blocks are all about the streams they receive: ours.
pub fn fractions_lost(packets: &[Box<dyn rtc::rtcp::Packet>]) -> Vec<u8> {
    packets
        .iter()
        .flat_map(|p| {
            let any = p.as_any();
            let blocks = if let Some(rr) = any.downcast_ref::<ReceiverReport>() {
                rr.reports.as_slice()
            } else if let Some(sr) = any.downcast_ref::<SenderReport>() {
                sr.reports.as_slice()
            } else {
                &[]
            };
            blocks.iter().map(|block| block.fraction_lost)
        })
        .collect()
}

/// Whether a compound RTCP packet asks for a keyframe.
pub fn asks_for_keyframe(packets: &[Box<dyn rtc::rtcp::Packet>]) -> bool {
    packets.iter().any(|p| {
        p.as_any().downcast_ref::<PictureLossIndication>().is_some()
            || p.as_any().downcast_ref::<FullIntraRequest>().is_some()
    })
}

impl Protocol<TaggedPacket, TaggedPacket, ()> for KeyframeRequests {
    type Rout = TaggedPacket;
    type Wout = TaggedPacket;
    type Eout = ();
    type Error = rtc::shared::error::Error;
    type Time = Instant;

    fn handle_read(&mut self, mut msg: TaggedPacket) -> Result<(), Self::Error> {
        if let Packet::Rtcp(packets) = &msg.message.packet {
            self.reported_loss.record(&fractions_lost(packets));
            if asks_for_keyframe(packets) {
                msg.message.add(Attribute::DeliverToApplication);
            }
        }
        self.read.push_back(msg);
        Ok(())
    }

    fn poll_read(&mut self) -> Option<TaggedPacket> {
        self.read.pop_front()
    }

    fn handle_write(&mut self, msg: TaggedPacket) -> Result<(), Self::Error> {
        self.write.push_back(msg);
        Ok(())
    }

    fn poll_write(&mut self) -> Option<TaggedPacket> {
        self.write.pop_front()
    }
}

impl Interceptor for KeyframeRequests {
    fn bind_local_stream(&mut self, _info: &StreamInfo) {}
    fn unbind_local_stream(&mut self, _info: &StreamInfo) {}
    fn bind_remote_stream(&mut self, _info: &StreamInfo) {}
    fn unbind_remote_stream(&mut self, _info: &StreamInfo) {}
}
