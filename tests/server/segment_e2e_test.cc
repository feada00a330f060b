// End-to-end tests of Segment and SegmentSeries: a real gRPC server on a
// loopback port, a real (small, untrained) checkpoint, real DICOM files made
// with DCMTK and dcmtk's command-line encoders.
#include <cstdlib>
#include <filesystem>
#include <future>
#include <thread>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "common/png_codec.h"
#include "dcmtk/dcmdata/dcistrmb.h"
#include "dcmtk/dcmdata/dctk.h"
#include "dcmtk/dcmseg/segdoc.h"
#include "dcmtk/dcmseg/segutils.h"
#include "lsms/v1/segmentation.grpc.pb.h"
#include "server/postprocess.h"
#include "server/server.h"
#include "tests/model/test_checkpoint.h"
#include "tests/server/test_server.h"
#include "tools/synth/dicom_writer.h"
#include "tools/synth/phantom.h"

namespace lsms {
namespace {

namespace fs = std::filesystem;

std::string Dicom(uint64_t seed, int size = 128) {
  synth::PhantomOptions o;
  o.size = size;
  o.min_lesions = 2;
  synth::Phantom p = synth::GeneratePhantom(seed, o);
  synth::CtSliceInfo info;
  info.spacing_mm = 0.8;
  return *synth::EncodeCtSlice(p.hu, info);
}

class SegmentE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { checkpoint_ = new std::string(testing::WriteTestCheckpoint("e2e")); }
  static void TearDownTestSuite() {
    fs::remove(*checkpoint_);
    delete checkpoint_;
  }

  void Start(int max_batch = 4, absl::Duration delay = absl::Milliseconds(20), int queue = 64,
             int series_slices = 5, bool dispatch_when_idle = true) {
    ServerOptions o = testing::TestServerOptions(*checkpoint_);
    o.runner.batching.max_batch_size = max_batch;
    o.runner.batching.max_queue_delay = delay;
    o.runner.batching.dispatch_when_idle = dispatch_when_idle;
    o.runner.batching.max_queue_size = queue;
    o.runner.cap_batch_size_by_throughput = false;
    o.service.max_series_slices = series_slices;
    server_ = testing::StartTestServer(o);
    ASSERT_NE(server_, nullptr);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials());
    stub_ = lsms::v1::SegmentationService::NewStub(channel_);
  }

  lsms::v1::SegmentRequest Request(const std::string& id, const std::string& dicom, const std::string& expr) {
    lsms::v1::SegmentRequest r;
    r.set_request_id(id);
    r.set_dicom(dicom);
    r.set_expression(expr);
    r.mutable_output()->set_include_probability_map(true);
    r.mutable_output()->set_include_token_relevance(true);
    return r;
  }

  grpc::Status Call(const lsms::v1::SegmentRequest& r, lsms::v1::SegmentResponse* out,
                    std::chrono::milliseconds deadline = std::chrono::milliseconds(30000)) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + deadline);
    return stub_->Segment(&ctx, r, out);
  }

  static std::string* checkpoint_;
  std::unique_ptr<Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<lsms::v1::SegmentationService::Stub> stub_;
};

std::string* SegmentE2eTest::checkpoint_ = nullptr;

TEST_F(SegmentE2eTest, SegmentReturnsMaskAtOriginalResolution) {
  Start();
  lsms::v1::SegmentResponse r;
  auto req = Request("one", Dicom(1), "the largest hypodense lesion in the right lobe");
  req.mutable_output()->set_mask_encoding(lsms::v1::MASK_ENCODING_RLE);
  ASSERT_TRUE(Call(req, &r).ok());
  EXPECT_EQ(r.request_id(), "one");
  EXPECT_EQ(r.mask().width(), 128u);
  EXPECT_EQ(r.mask().height(), 128u);
  auto mask = DecodeRle(r.mask().data(), 128 * 128);
  ASSERT_EQ(mask.size(), 128u * 128u);
  uint64_t count = 0;
  for (uint8_t v : mask) count += v;
  EXPECT_EQ(count, r.pixel_count());
  EXPECT_EQ(r.probability_map().data().size(), 128u * 128u);
  EXPECT_EQ(r.model_version(), "test-checkpoint");
  EXPECT_GE(r.timing().batch_size(), 1u);
  EXPECT_GT(r.timing().total_ms(), 0.0);
  ASSERT_GT(r.token_relevance_size(), 0);
  EXPECT_EQ(r.token_relevance(0).token(), "the");
  if (r.pixel_count() > 0) {
    ASSERT_TRUE(r.has_area_mm2());
    EXPECT_NEAR(r.area_mm2(), r.pixel_count() * 0.64, 1e-6);
  }
}

TEST_F(SegmentE2eTest, DicomSegHoldsTheMaskAndReferencesTheSource) {
  Start();
  const std::string source = Dicom(8);
  auto req = Request("seg", source, "all lesions");
  req.set_threshold(0.2f);
  req.mutable_output()->set_include_dicom_seg(true);
  lsms::v1::SegmentResponse r;
  ASSERT_TRUE(Call(req, &r).ok());
  ASSERT_FALSE(r.dicom_seg().empty());
  DcmInputBufferStream is;
  is.setBuffer(r.dicom_seg().data(), static_cast<offile_off_t>(r.dicom_seg().size()));
  is.setEos();
  DcmFileFormat ff;
  ff.transferInit();
  ASSERT_TRUE(ff.read(is).good());
  ff.transferEnd();
  OFString sop_class;
  ff.getDataset()->findAndGetOFString(DCM_SOPClassUID, sop_class);
  EXPECT_EQ(std::string(sop_class.c_str()), UID_SegmentationStorage);
  // The SEG references the source instance (top-level ReferencedSeriesSequence).
  DcmFileFormat src;
  DcmInputBufferStream sis;
  sis.setBuffer(source.data(), static_cast<offile_off_t>(source.size()));
  sis.setEos();
  src.transferInit();
  ASSERT_TRUE(src.read(sis).good());
  src.transferEnd();
  OFString src_uid, ref_uid, src_patient, seg_patient;
  src.getDataset()->findAndGetOFString(DCM_SOPInstanceUID, src_uid);
  ff.getDataset()->findAndGetOFString(DCM_ReferencedSOPInstanceUID, ref_uid, 0, /*searchIntoSub=*/true);
  EXPECT_EQ(ref_uid, src_uid);
  src.getDataset()->findAndGetOFString(DCM_PatientID, src_patient);
  ff.getDataset()->findAndGetOFString(DCM_PatientID, seg_patient);
  EXPECT_EQ(seg_patient, src_patient);
  DcmSegmentation* seg = nullptr;
  ASSERT_TRUE(DcmSegmentation::loadDataset(*ff.getDataset(), seg).good());
  std::unique_ptr<DcmSegmentation> owned(seg);
  EXPECT_EQ(seg->getNumberOfFrames(), 1u);
  EXPECT_EQ(seg->getNumberOfSegments(), 1u);
  const DcmIODTypes::Frame* frame = seg->getFrame(0);
  ASSERT_NE(frame, nullptr);
  std::unique_ptr<DcmIODTypes::Frame> unpacked(DcmSegUtils::unpackBinaryFrame(frame, 128, 128));
  ASSERT_NE(unpacked, nullptr);
  uint64_t count = 0;
  for (size_t i = 0; i < unpacked->length; ++i) count += unpacked->pixData[i] != 0;
  EXPECT_EQ(count, r.pixel_count());
  // Raw pixels cannot be referenced by a SEG.
  lsms::v1::SegmentRequest raw;
  raw.set_expression("the lesion");
  raw.mutable_raw()->set_dtype(lsms::v1::RawImage::DTYPE_UINT8);
  raw.mutable_raw()->set_rows(8);
  raw.mutable_raw()->set_columns(8);
  raw.mutable_raw()->set_pixels(std::string(64, '\0'));
  raw.mutable_output()->set_include_dicom_seg(true);
  EXPECT_EQ(Call(raw, &r).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

// Wraps the real model; fails every batch that contains the token "tumor"
// and throws on "nodule" (a model that breaks its no-throw promise).
class FailingSegmenter final : public Segmenter {
 public:
  explicit FailingSegmenter(std::unique_ptr<Segmenter> real) : real_(std::move(real)) {}
  absl::StatusOr<std::vector<Prediction>> Predict(const std::vector<const ModelInput*>& batch) override {
    for (const auto* in : batch) {
      for (const auto& t : in->tokens.tokens) {
        if (t == "tumor") return absl::InternalError("model failure: injected");
        if (t == "nodule") throw std::runtime_error("injected exception");
      }
    }
    return real_->Predict(batch);
  }
  const ModelConfig& config() const override { return real_->config(); }
  const Tokenizer& tokenizer() const override { return real_->tokenizer(); }
  const Provenance& provenance() const override { return real_->provenance(); }
  std::string device() const override { return real_->device(); }
  int64_t parameter_count() const override { return real_->parameter_count(); }
  int64_t device_memory_allocated() const override { return 0; }
  int64_t device_memory_reserved() const override { return 0; }

 private:
  std::unique_ptr<Segmenter> real_;
};

TEST_F(SegmentE2eTest, ModelFailureFailsOnlyThatBatchWithInternal) {
  ServerOptions o = testing::TestServerOptions(*checkpoint_);
  o.runner.batching.max_batch_size = 1;
  o.runner.segmenter_factory = [](const Segmenter::Options& m) -> absl::StatusOr<std::unique_ptr<Segmenter>> {
    auto real = Segmenter::Load(m);
    if (!real.ok()) return real.status();
    return std::unique_ptr<Segmenter>(new FailingSegmenter(std::move(*real)));
  };
  server_ = testing::StartTestServer(o);
  ASSERT_NE(server_, nullptr);
  channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials());
  stub_ = lsms::v1::SegmentationService::NewStub(channel_);
  const std::string d = Dicom(9);
  lsms::v1::SegmentResponse r;
  EXPECT_EQ(Call(Request("boom", d, "the largest tumor"), &r).error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_TRUE(Call(Request("after", d, "the largest lesion"), &r).ok());  // still serving
  EXPECT_EQ(Call(Request("boom2", d, "every tumor"), &r).error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_TRUE(Call(Request("after2", d, "all lesions"), &r).ok());
  EXPECT_EQ(Call(Request("throw", d, "the largest nodule"), &r).error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_TRUE(Call(Request("after3", d, "the largest lesion"), &r).ok());
}

TEST_F(SegmentE2eTest, BadInputGetsInvalidArgumentAndServerKeepsServing) {
  Start();
  lsms::v1::SegmentResponse r;
  EXPECT_EQ(Call(Request("bad", "not dicom", "the lesion"), &r).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Call(Request("empty", Dicom(2), "   "), &r).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto long_expr = Request("long", Dicom(2), std::string(600, 'a'));
  EXPECT_EQ(Call(long_expr, &r).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto thr = Request("thr", Dicom(2), "the lesion");
  thr.set_threshold(1.5f);
  EXPECT_EQ(Call(thr, &r).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  lsms::v1::SegmentRequest raw;
  raw.set_expression("the lesion");
  raw.mutable_raw()->set_dtype(lsms::v1::RawImage::DTYPE_INT16);
  raw.mutable_raw()->set_rows(10);
  raw.mutable_raw()->set_columns(10);
  raw.mutable_raw()->set_pixels(std::string(150, '\0'));  // needs 200
  EXPECT_EQ(Call(raw, &r).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(Call(Request("ok", Dicom(2), "the lesion"), &r).ok());
}

TEST_F(SegmentE2eTest, EveryTransferSyntaxGivesTheSameMask) {
  Start();
  const fs::path dir = fs::temp_directory_path() / ("lsms_e2e_ts_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string raw = (dir / "raw.dcm").string();
  ASSERT_TRUE(WriteFile(raw, Dicom(3)).ok());
  lsms::v1::SegmentResponse reference;
  ASSERT_TRUE(Call(Request("raw", *ReadFile(raw), "all lesions"), &reference).ok());
  for (const std::string tool : {"dcmcrle", "dcmcjpls", "dcmcjpeg --encode-lossless-sv1", "dcmconv +te"}) {
    const std::string out = (dir / "x.dcm").string();
    ASSERT_EQ(std::system((tool + " " + raw + " " + out).c_str()), 0) << tool;
    lsms::v1::SegmentResponse r;
    ASSERT_TRUE(Call(Request(tool, *ReadFile(out), "all lesions"), &r).ok()) << tool;
    EXPECT_EQ(r.mask().data(), reference.mask().data()) << tool;
  }
  fs::remove_all(dir);
}

TEST_F(SegmentE2eTest, SeriesWithACorruptSliceReturnsTheOthersAndItsError) {
  Start();
  grpc::ClientContext ctx;
  auto stream = stub_->SegmentSeries(&ctx);
  std::string corrupt = Dicom(5);
  corrupt.resize(corrupt.size() / 2);
  ASSERT_TRUE(stream->Write(Request("s0", Dicom(4), "the largest lesion")));
  ASSERT_TRUE(stream->Write(Request("s1", corrupt, "the largest lesion")));
  ASSERT_TRUE(stream->Write(Request("s2", Dicom(6), "the largest lesion")));
  ASSERT_TRUE(stream->WritesDone());
  std::map<std::string, lsms::v1::SegmentResponse> got;
  lsms::v1::SegmentResponse r;
  while (stream->Read(&r)) got[r.request_id()] = r;
  EXPECT_TRUE(stream->Finish().ok());
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got["s0"].status().code(), 0);
  EXPECT_EQ(got["s2"].status().code(), 0);
  EXPECT_EQ(got["s1"].status().code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_FALSE(got["s1"].status().message().empty());
  EXPECT_EQ(got["s0"].mask().width(), 128u);
}

TEST_F(SegmentE2eTest, SeriesLongerThanTheLimitEndsResourceExhaustedAfterAnsweringTheAccepted) {
  // The proto's contract (issue 29 row 14): too many slices is a stream-level
  // error; the slices within the limit are still answered.
  Start();
  grpc::ClientContext ctx;
  auto stream = stub_->SegmentSeries(&ctx);
  const std::string d = Dicom(7, 64);
  for (int i = 0; i < 7; ++i) {
    if (!stream->Write(Request(absl::StrCat("s", i), d, "the lesion"))) break;  // the server may stop reading
  }
  stream->WritesDone();
  int ok = 0, rejected = 0;
  lsms::v1::SegmentResponse r;
  while (stream->Read(&r)) (r.status().code() == 0 ? ok : rejected)++;
  const grpc::Status st = stream->Finish();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << st.error_message();
  EXPECT_NE(st.error_message().find("series exceeds 5 slices"), std::string::npos) << st.error_message();
  EXPECT_EQ(ok, 5);
  EXPECT_EQ(rejected, 0);
}

TEST_F(SegmentE2eTest, ALongSeriesOnASmallQueueCompletesWithoutResourceExhausted) {
  // Issue 29 row 4: a 500-slice series got 235 per-slice RESOURCE_EXHAUSTED.
  // The server now reads a slice only when its window (capped by the queue,
  // here 4) has room; the client's writes wait on flow control instead.
  Start(/*max_batch=*/2, absl::Milliseconds(0), /*queue=*/4, /*series_slices=*/100);
  grpc::ClientContext ctx;
  auto stream = stub_->SegmentSeries(&ctx);
  const std::string d = Dicom(8, 64);
  std::thread writer([&] {
    for (int i = 0; i < 40; ++i) {
      if (!stream->Write(Request(absl::StrCat("w", i), d, "the lesion"))) break;
    }
    stream->WritesDone();
  });
  int ok = 0, failed = 0;
  lsms::v1::SegmentResponse r;
  while (stream->Read(&r)) (r.status().code() == 0 ? ok : failed)++;
  writer.join();
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(ok, 40);
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(server_->runner().stats().rejected_full, 0);
  EXPECT_EQ(server_->service().refused_before_decode(), 0);
}

TEST_F(SegmentE2eTest, StreamsCancelledWhileTheirSlicesAreQueuedEndAndTheServerKeepsServing) {
  // Issue 29 row 15: a stream could finish from a batcher thread while its
  // cancellation deleted it. Many streams are cancelled with work in flight;
  // every one ends, and the server answers afterwards.
  Start(/*max_batch=*/2, absl::Milliseconds(5), /*queue=*/64, /*series_slices=*/100);
  const std::string d = Dicom(9, 64);
  std::vector<std::thread> clients;
  for (int c = 0; c < 12; ++c) {
    clients.emplace_back([&, c] {
      grpc::ClientContext ctx;
      auto stream = stub_->SegmentSeries(&ctx);
      for (int i = 0; i < 6; ++i) {
        if (!stream->Write(Request(absl::StrCat("x", c, "-", i), d, "the lesion"))) break;
      }
      if (c % 2 == 0) {
        lsms::v1::SegmentResponse r;
        stream->Read(&r);  // some answers in flight, then cancel
      }
      ctx.TryCancel();
      stream->Finish();
    });
  }
  for (auto& t : clients) t.join();
  lsms::v1::SegmentResponse r;
  EXPECT_TRUE(Call(Request("after", d, "the lesion"), &r).ok());
}

TEST_F(SegmentE2eTest, ConcurrentClientsGetTheirOwnResults) {
  Start(/*max_batch=*/4, absl::Milliseconds(50));
  // Reference answers one at a time, then the same requests concurrently
  // (batched together): each must get its own mask back.
  const std::vector<std::string> exprs = {"the largest lesion", "the lesion in the left lobe",
                                          "all lesions", "the smallest hyperdense nodule"};
  std::vector<lsms::v1::SegmentRequest> reqs;
  for (int i = 0; i < 8; ++i) reqs.push_back(Request(absl::StrCat("c", i), Dicom(10 + i), exprs[i % 4]));
  std::vector<lsms::v1::SegmentResponse> serial(reqs.size());
  for (size_t i = 0; i < reqs.size(); ++i) ASSERT_TRUE(Call(reqs[i], &serial[i]).ok());
  std::vector<std::future<std::pair<grpc::Status, lsms::v1::SegmentResponse>>> futures;
  for (const auto& req : reqs) {
    futures.push_back(std::async(std::launch::async, [this, req] {
      lsms::v1::SegmentResponse r;
      auto st = Call(req, &r);
      return std::make_pair(st, r);
    }));
  }
  uint32_t max_batch = 0;
  for (size_t i = 0; i < reqs.size(); ++i) {
    auto [st, r] = futures[i].get();
    ASSERT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(r.request_id(), reqs[i].request_id());
    max_batch = std::max(max_batch, r.timing().batch_size());
    const std::string& a = r.probability_map().data();
    const std::string& b = serial[i].probability_map().data();
    ASSERT_EQ(a.size(), b.size());
    int differ = 0;
    for (size_t k = 0; k < a.size(); ++k) differ += std::abs(static_cast<int>(uint8_t(a[k])) - uint8_t(b[k])) > 1;
    EXPECT_EQ(differ, 0) << reqs[i].request_id();
  }
  EXPECT_GT(max_batch, 1u);  // they really were batched together
}

TEST_F(SegmentE2eTest, FullQueueAnswersResourceExhausted) {
  Start(/*max_batch=*/1, absl::Milliseconds(0), /*queue=*/1);
  const std::string d = Dicom(20);
  std::vector<std::future<grpc::Status>> futures;
  for (int i = 0; i < 16; ++i) {
    futures.push_back(std::async(std::launch::async, [&, i] {
      lsms::v1::SegmentResponse r;
      return Call(Request(absl::StrCat("q", i), d, "the lesion"), &r);
    }));
  }
  int ok = 0, exhausted = 0;
  for (auto& f : futures) {
    auto st = f.get();
    if (st.ok()) ++ok;
    if (st.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) ++exhausted;
  }
  EXPECT_GT(ok, 0);
  EXPECT_GT(exhausted, 0);
  EXPECT_EQ(ok + exhausted, 16);
  // Each refusal happened either before decoding or, for those that raced
  // past that check, in the batcher.
  EXPECT_EQ(server_->service().refused_before_decode() + server_->runner().stats().rejected_full, exhausted);
}

TEST_F(SegmentE2eTest, AFullQueueRefusesBeforeDecoding) {
  // Issue 29 row 11: rejected work used to be decoded first. Two requests
  // wait for a batch that forms only after 3 s (the delay applies to the
  // idle model too); the queue (2) is full, so a third is refused without
  // being decoded.
  Start(/*max_batch=*/8, absl::Seconds(3), /*queue=*/2, 5, /*dispatch_when_idle=*/false);
  const std::string d = Dicom(23);
  std::vector<std::future<grpc::Status>> waiting;
  for (int i = 0; i < 2; ++i) {
    waiting.push_back(std::async(std::launch::async, [&, i] {
      lsms::v1::SegmentResponse r;
      return Call(Request(absl::StrCat("wait", i), d, "the lesion"), &r);
    }));
  }
  while (server_->runner().queue_size() < 2) std::this_thread::yield();
  lsms::v1::SegmentResponse r;
  EXPECT_EQ(Call(Request("third", d, "the lesion"), &r).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(server_->service().refused_before_decode(), 1);
  EXPECT_EQ(server_->runner().stats().rejected_full, 0);
  for (auto& f : waiting) EXPECT_TRUE(f.get().ok());
}

TEST_F(SegmentE2eTest, RequestsWhoseDeadlinePassesInTheQueueAreDropped) {
  // A long batching delay, applied even to an idle model, holds the lone
  // request past its deadline.
  Start(/*max_batch=*/8, absl::Milliseconds(1500), 64, 5, /*dispatch_when_idle=*/false);
  lsms::v1::SegmentResponse r;
  auto st = Call(Request("late", Dicom(21), "the lesion"), &r, std::chrono::milliseconds(300));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  // The server computes its deadline on receipt, a little after the client's:
  // shutting down right now could flush the task just before it expires on the
  // server. Instead a second request joins the queue; when the delay forms the
  // batch (1.5 s, long after the server-side deadline) the expired task is
  // dropped and only the second one is computed. Its answer orders the check.
  lsms::v1::SegmentResponse probe;
  ASSERT_TRUE(Call(Request("probe", Dicom(22), "the lesion"), &probe).ok());
  EXPECT_EQ(server_->runner().stats().dropped_deadline + server_->runner().stats().dropped_cancelled, 1);
}

}  // namespace
}  // namespace lsms
