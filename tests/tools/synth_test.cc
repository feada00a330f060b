#include <algorithm>

#include <gtest/gtest.h>

#include "server/dicom/dicom_image.h"
#include "tools/synth/dicom_writer.h"
#include "tools/synth/expression_grammar.h"
#include "tools/synth/phantom.h"

namespace lsms::synth {
namespace {

TEST(PhantomTest, SameSeedGivesSameSlice) {
  PhantomOptions o;
  o.size = 256;
  Phantom a = GeneratePhantom(42, o), b = GeneratePhantom(42, o), c = GeneratePhantom(43, o);
  EXPECT_EQ(a.hu.data, b.hu.data);
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_NE(a.hu.data, c.hu.data);
  EXPECT_EQ(AllExpressions(a, 42).size(), AllExpressions(b, 42).size());
}

TEST(PhantomTest, SmallSlicesAreDeterministicToo) {
  // At 96 px the body runs off the image; the vessel placement once read the
  // liver mask past its end, so the slice depended on whatever the heap held.
  PhantomOptions o;
  o.size = 96;
  Phantom a = GeneratePhantom(3, o);
  for (int k = 0; k < 4; ++k) {
    std::vector<uint8_t> churn(static_cast<size_t>(1 + k) << 16, static_cast<uint8_t>(0x11 * (k + 1)));
    Phantom b = GeneratePhantom(3, o);
    EXPECT_EQ(a.hu.data, b.hu.data) << k;
    EXPECT_EQ(churn.size(), static_cast<size_t>(1 + k) << 16);
  }
}

TEST(PhantomTest, LesionsLieInsideTheLiverWithIntendedAttenuation) {
  for (uint64_t seed = 1; seed < 6; ++seed) {
    Phantom p = GeneratePhantom(seed);
    for (size_t i = 0; i < p.labels.size(); ++i) {
      if (p.labels[i]) { ASSERT_TRUE(p.liver[i]); }
    }
    for (const auto& l : p.lesions) {
      if (l.attenuation == Attenuation::kRimEnhancing || l.area_px < 200) continue;
      double sum = 0;
      int n = 0;
      for (size_t i = 0; i < p.labels.size(); ++i) {
        if (p.labels[i] == l.id) sum += p.hu.data[i], ++n;
      }
      double mean = sum / n;
      if (l.attenuation == Attenuation::kHypodense) { EXPECT_LT(mean, p.liver_hu - 15); }
      if (l.attenuation == Attenuation::kHyperdense) { EXPECT_GT(mean, p.liver_hu + 15); }
    }
  }
}

TEST(DicomWriterTest, WritesValidCtThatDecodesToTheSameHu) {
  ASSERT_TRUE(InitDicomCodecs().ok());
  PhantomOptions o;
  o.size = 128;
  Phantom p = GeneratePhantom(5, o);
  CtSliceInfo info;
  info.spacing_mm = p.spacing_mm;
  auto bytes = EncodeCtSlice(p.hu, info);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto slice = DecodeDicom(*bytes);
  ASSERT_TRUE(slice.ok()) << slice.status();
  ASSERT_EQ(slice->hu.rows, 128);
  EXPECT_NEAR(slice->row_spacing_mm, p.spacing_mm, 1e-6);
  for (size_t i = 0; i < p.hu.data.size(); i += 97) {
    EXPECT_NEAR(slice->hu.data[i], std::round(p.hu.data[i]), 0.51) << i;
  }
}

// Hand-made scene: three lesions with known sizes, places and attenuation.
Phantom Scene() {
  PhantomOptions o;
  o.max_lesions = 0;
  o.min_lesions = 0;
  Phantom p = GeneratePhantom(9, o);
  auto add = [&](int id, double x, double y, double r, Attenuation a) {
    Lesion l;
    l.id = id;
    l.cx = x;
    l.cy = y;
    l.radius = r;
    l.attenuation = a;
    p.lesions.push_back(l);
  };
  const double cx = p.liver_cx, cy = p.liver_cy;
  // Lesion 1: big, right lobe (image left), posterior.
  add(1, p.lobe_divide_x - 45, cy + 25, 16, Attenuation::kHypodense);
  // Lesion 2: small, right lobe, anterior.
  add(2, p.lobe_divide_x - 35, cy - 30, 5, Attenuation::kHyperdense);
  // Lesion 3: medium, left lobe (image right of the divide).
  add(3, p.lobe_divide_x + 22, cy - 40, 9, Attenuation::kHypodense);
  (void)cx;
  FinalizeLesions(&p);
  return p;
}

const Expression* Find(const std::vector<Expression>& es, const std::string& kind,
                       const std::string& word, const std::string& without = "") {
  for (const auto& e : es) {
    if (e.kind == kind && e.text.find(word) != std::string::npos &&
        (without.empty() || e.text.find(without) == std::string::npos)) {
      return &e;
    }
  }
  return nullptr;
}

TEST(GrammarTest, ExpressionsResolveToTheRightLesions) {
  Phantom p = Scene();
  ASSERT_EQ(p.lesions.size(), 3u);
  for (const auto& l : p.lesions) ASSERT_GT(l.area_px, 0) << l.id;
  ASSERT_GT(p.lesions[0].area_px, p.lesions[2].area_px);
  ASSERT_GT(p.lesions[2].area_px, p.lesions[1].area_px);
  // Several seeds, so that different phrasings and orders are exercised.
  for (uint64_t seed = 0; seed < 20; ++seed) {
    auto es = AllExpressions(p, seed);
    for (const auto& e : es) {
      const std::string& t = e.text;
      if (e.kind == "size_rank" && t.find("second") != std::string::npos &&
          t.find("dense") == std::string::npos && t.find("attenuat") == std::string::npos) {
        EXPECT_EQ(e.targets, std::vector<int>{3}) << t;
      }
      if (e.kind == "location" && t.find("right") != std::string::npos) {
        EXPECT_EQ(e.targets, (std::vector<int>{1, 2})) << t;  // radiological convention
      }
      if (e.kind == "location" && t.find("left") != std::string::npos) {
        EXPECT_EQ(e.targets, std::vector<int>{3}) << t;
      }
      if (e.kind == "count") { EXPECT_EQ(e.targets, (std::vector<int>{1, 2, 3})) << t; }
      if (e.kind == "no_target") { EXPECT_TRUE(e.targets.empty()) << t; }
      if (e.kind == "attenuation" && (t.find("hyperdense") != std::string::npos ||
                                      t.find("brighter") != std::string::npos)) {
        EXPECT_EQ(e.targets, std::vector<int>{2}) << t;
      }
    }
    // The overall largest is lesion 1 whatever the phrasing.
    bool saw_largest = false;
    for (const auto& e : es) {
      bool overall = e.kind == "size_rank" && e.text.find("second") == std::string::npos &&
                     (e.text.find("largest") != std::string::npos || e.text.find("biggest") != std::string::npos ||
                      e.text.find("dominant") != std::string::npos);
      bool filtered = e.text.find("dense") != std::string::npos || e.text.find("attenuat") != std::string::npos ||
                      e.text.find("darker") != std::string::npos || e.text.find("brighter") != std::string::npos ||
                      e.text.find("density") != std::string::npos || e.text.find("enhancing") != std::string::npos;
      if (overall && !filtered) {
        EXPECT_EQ(e.targets, std::vector<int>{1}) << e.text;
        saw_largest = true;
      }
    }
    EXPECT_TRUE(saw_largest);
  }
  // No rim-enhancing lesion: asking for one has no target.
  auto es = AllExpressions(p, 1);
  const Expression* rim = Find(es, "no_target", "enhancing");
  ASSERT_NE(rim, nullptr);
}

TEST(DicomWriterTest, SeededUidsMakeFilesByteIdentical) {
  PhantomOptions o;
  o.size = 64;
  Phantom p = GeneratePhantom(4, o);
  CtSliceInfo info;
  info.uid_seed = 99;
  EXPECT_EQ(*EncodeCtSlice(p.hu, info), *EncodeCtSlice(p.hu, info));
  info.uid_seed = 100;
  CtSliceInfo other = info;
  other.uid_seed = 99;
  EXPECT_NE(*EncodeCtSlice(p.hu, info), *EncodeCtSlice(p.hu, other));
}

TEST(GrammarTest, FlipSwapsLeftAndRight) {
  EXPECT_EQ(SwapLeftRight("the lesion in the right lobe"), "the lesion in the left lobe");
  EXPECT_EQ(SwapLeftRight("left and right"), "right and left");
}

}  // namespace
}  // namespace lsms::synth
