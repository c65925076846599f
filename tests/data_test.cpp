// Data loading: the IDX reader on small files written in a temporary folder (valid, gzipped,
// and every kind of damage, each with its error code and message), the MNIST-format folder
// layer (count mismatch, bad labels, missing files, normalisation), the seeded split and
// batches, and the real Fashion-MNIST of Debian's dataset-fashion-mnist (shapes, value and
// label ranges, split sizes, determinism).
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "actlab/data/batches.hpp"
#include "actlab/data/idx.hpp"
#include "actlab/data/mnist.hpp"
#include "actlab/error.hpp"

namespace actlab::data {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

// A fresh temporary folder per test, removed at the end.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "actlab_data_test_XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

// Header bytes: 0x00 0x00 dtype ndim, then big-endian uint32 dims.
Bytes header(std::uint8_t dtype, const std::vector<std::uint32_t>& dims) {
  Bytes b = {0, 0, dtype, static_cast<std::uint8_t>(dims.size())};
  for (std::uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<std::uint8_t>(d >> shift));
  }
  return b;
}

Bytes idx_bytes(const std::vector<std::uint32_t>& dims, std::size_t data_bytes,
                std::uint8_t first_value = 0) {
  Bytes b = header(0x08, dims);
  for (std::size_t i = 0; i < data_bytes; ++i) {
    b.push_back(static_cast<std::uint8_t>(first_value + i));
  }
  return b;
}

void write_plain(const std::string& path, const Bytes& bytes) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
}

void write_gzip(const std::string& path, const Bytes& bytes) {
  gzFile gz = gzopen(path.c_str(), "wb");
  ASSERT_NE(gz, nullptr);
  ASSERT_EQ(gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size())),
            static_cast<int>(bytes.size()));
  ASSERT_EQ(gzclose(gz), Z_OK);
}

Bytes read_plain(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void expect_error(const std::function<void()>& call, ErrorCode code,
                  const std::vector<std::string>& fragments, const std::string& what) {
  try {
    call();
    ADD_FAILURE() << what << ": no error";
  } catch (const Error& e) {
    EXPECT_EQ(static_cast<int>(e.code()), static_cast<int>(code)) << what << ": " << e.what();
    for (const std::string& f : fragments) {
      EXPECT_NE(std::string(e.what()).find(f), std::string::npos)
          << what << ": message '" << e.what() << "' lacks '" << f << "'";
    }
  }
}

// ---------------------------------------------------------------------------- IDX reader

TEST(Idx, ReadsPlainAndGzippedFiles) {
  TempDir dir;
  const Bytes bytes = idx_bytes({2, 3, 4}, 24, 10);
  write_plain(dir.file("a.idx"), bytes);
  write_gzip(dir.file("a.idx.gz"), bytes);
  for (const std::string name : {"a.idx", "a.idx.gz"}) {
    SCOPED_TRACE(name);
    const IdxArray a = read_idx(dir.file(name), 3);
    EXPECT_EQ(a.dims, (std::vector<std::size_t>{2, 3, 4}));
    ASSERT_EQ(a.values.size(), 24u);
    EXPECT_EQ(a.values[0], 10);
    EXPECT_EQ(a.values[23], 33);
  }
  // Gzip is recognised by the magic bytes, not the name.
  fs::copy_file(dir.file("a.idx.gz"), dir.file("gz_without_suffix"));
  EXPECT_EQ(read_idx(dir.file("gz_without_suffix")).values.size(), 24u);
}

TEST(Idx, WriteThenReadRoundTrips) {
  TempDir dir;
  IdxArray a{{3, 5}, {}};
  for (int i = 0; i < 15; ++i) a.values.push_back(static_cast<std::uint8_t>(i * 17));
  write_idx(dir.file("w.idx"), a);
  write_idx(dir.file("w.idx.gz"), a, true);
  Bytes expected = header(0x08, {3, 5});
  expected.insert(expected.end(), a.values.begin(), a.values.end());
  EXPECT_EQ(read_plain(dir.file("w.idx")), expected);
  for (const std::string name : {"w.idx", "w.idx.gz"}) {
    const IdxArray back = read_idx(dir.file(name), 2);
    EXPECT_EQ(back.dims, a.dims) << name;
    EXPECT_EQ(back.values, a.values) << name;
  }
  expect_error(
      [&] {
        write_idx(dir.file("bad.idx"), IdxArray{{2, 2}, {1, 2, 3}});
      },
      ErrorCode::kInvalidArgument, {"do not fit 3 values"}, "write_idx size mismatch");
  expect_error([&] { write_idx(dir.file("no/such/folder/x.idx"), a); }, ErrorCode::kIo,
               {"cannot write"}, "write_idx to a missing folder");
}

struct Damage {
  std::string what;
  Bytes bytes;
  bool gzip;
  std::size_t expected_ndim;
  std::vector<std::string> fragments;
};

TEST(Idx, EveryDamageIsCorruptDataNamingFileAndFault) {
  TempDir dir;
  Bytes trailing = idx_bytes({2, 3}, 7);
  Bytes gz_truncated_data = idx_bytes({4, 4}, 15);
  std::vector<Damage> cases = {
      {"empty file", {}, false, 0, {"the file is empty"}},
      {"header cut inside the magic", {0, 0, 8}, false, 0, {"truncated header: 3 of the 4"}},
      {"header cut inside the dims",
       {0, 0, 8, 3, 0, 0, 0, 2, 0},
       false,
       3,
       {"truncated header: 5 of the 12 bytes of its 3 dimension sizes"}},
      {"wrong magic",
       {0x01, 0x00, 0x08, 0x01, 0, 0, 0, 1, 7},
       false,
       0,
       {"wrong magic", "0x01 0x00"}},
      {"a text file", {'h', 'e', 'l', 'l', 'o', '\n'}, false, 0, {"wrong magic", "0x68 0x65"}},
      {"float32 elements", header(0x0D, {2}), false, 0, {"element type 0x0D (float32)"}},
      {"int32 elements", header(0x0C, {2}), false, 0, {"element type 0x0C (int32)"}},
      {"labels where images are expected",
       idx_bytes({4}, 4),
       false,
       3,
       {"declares 1 dimension(s), expected 3"}},
      {"images where labels are expected",
       idx_bytes({1, 2, 2}, 4),
       false,
       1,
       {"declares 3 dimension(s), expected 1"}},
      {"zero dimensions", {0, 0, 8, 0}, false, 0, {"declares 0 dimensions"}},
      {"a zero dimension", idx_bytes({3, 0, 2}, 0), false, 0, {"dimension 1 has size 0"}},
      {"truncated data",
       idx_bytes({2, 3}, 5),
       false,
       2,
       {"truncated data: the header declares 2x3 = 6 bytes, the file holds 5"}},
      {"trailing bytes",
       trailing,
       false,
       2,
       {"1 trailing byte(s) after the 6 bytes of data the header declares (2x3)"}},
      {"a header claiming 2^48 bytes",
       idx_bytes({0xFFFFFFFFu, 0xFFFFu}, 10),
       false,
       2,
       {"truncated data", "the file holds 10"}},
      {"gzipped, truncated data",
       gz_truncated_data,
       true,
       2,
       {"truncated data", "holds 15 (after gunzip)"}},
      {"gzipped, trailing bytes", trailing, true, 2, {"1 trailing byte(s)", "(after gunzip)"}},
      {"gzipped, wrong magic",
       {0xFF, 0x00, 0x08, 0x01, 0, 0, 0, 1, 7},
       true,
       0,
       {"wrong magic", "(after gunzip)"}},
      {"gzipped, empty", {}, true, 0, {"the file is empty"}},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Damage& c = cases[i];
    const std::string path = dir.file("case" + std::to_string(i) + (c.gzip ? ".gz" : ""));
    if (c.gzip) {
      write_gzip(path, c.bytes);
    } else {
      write_plain(path, c.bytes);
    }
    std::vector<std::string> fragments = c.fragments;
    fragments.push_back("'" + path + "'");
    expect_error([&] { read_idx(path, c.expected_ndim); }, ErrorCode::kCorruptData, fragments,
                 c.what);
  }
}

TEST(Idx, DamagedGzipStreamIsCorruptData) {
  TempDir dir;
  Bytes big = header(0x08, {100, 100});
  for (int i = 0; i < 10000; ++i) big.push_back(static_cast<std::uint8_t>((i * 7919) % 251));
  write_gzip(dir.file("full.gz"), big);
  const Bytes gz = read_plain(dir.file("full.gz"));
  // Cut the compressed stream in half: gunzip ends early.
  write_plain(dir.file("cut.gz"), Bytes(gz.begin(), gz.begin() + static_cast<long>(gz.size() / 2)));
  expect_error([&] { read_idx(dir.file("cut.gz"), 2); }, ErrorCode::kCorruptData,
               {dir.file("cut.gz")}, "gzip cut in half");
  // Flip bytes in the middle of the compressed data: a CRC or stream error.
  Bytes flipped = gz;
  for (std::size_t i = gz.size() / 3; i < gz.size() / 3 + 8; ++i) flipped[i] ^= 0xA5;
  write_plain(dir.file("flipped.gz"), flipped);
  expect_error([&] { read_idx(dir.file("flipped.gz"), 2); }, ErrorCode::kCorruptData,
               {dir.file("flipped.gz")}, "gzip with flipped bytes");
}

TEST(Idx, MissingFileOrFolderIsIo) {
  TempDir dir;
  expect_error([&] { read_idx(dir.file("absent.idx")); }, ErrorCode::kIo,
               {"'" + dir.file("absent.idx") + "' does not exist"}, "missing file");
  expect_error([&] { read_idx(dir.path()); }, ErrorCode::kIo, {"is a directory"}, "a folder");
}

// ---------------------------------------------------------------------------- MNIST folders

// A small MNIST-format folder: `n` images of 28x28 whose pixel p of image i is (i + p) % 256,
// labels i % 10; the test part has `n_test` examples.
void write_mnist_folder(const TempDir& dir, std::size_t n, std::size_t n_test, bool gzip) {
  for (const auto& [prefix, count] : {std::pair{"train", n}, std::pair{"t10k", n_test}}) {
    IdxArray images{{count, 28, 28}, {}};
    IdxArray labels{{count}, {}};
    for (std::size_t i = 0; i < count; ++i) {
      for (std::size_t p = 0; p < 784; ++p) {
        images.values.push_back(static_cast<std::uint8_t>((i + p) % 256));
      }
      labels.values.push_back(static_cast<std::uint8_t>(i % 10));
    }
    const std::string suffix = gzip ? ".gz" : "";
    write_idx(dir.file(std::string(prefix) + "-images-idx3-ubyte" + suffix), images, gzip);
    write_idx(dir.file(std::string(prefix) + "-labels-idx1-ubyte" + suffix), labels, gzip);
  }
}

TEST(Mnist, LoadsAFolderAndNormalisesToMinusOneOne) {
  for (bool gzip : {false, true}) {
    SCOPED_TRACE(gzip ? "gzipped" : "plain");
    TempDir dir;
    write_mnist_folder(dir, 300, 40, gzip);
    const Dataset test = load_mnist(dir.path(), MnistPart::kTest);
    ASSERT_EQ(test.images.shape(), (Shape{40, 1, 28, 28}));
    ASSERT_EQ(test.labels.shape(), (Shape{40}));
    EXPECT_EQ(test.size(), 40u);
    // Image 1, pixel p holds (1 + p) % 256: 0 → −1, 255 → 1, 128 → 128/255·2 − 1.
    EXPECT_EQ(test.images.at({1, 0, 0, 0}), (1.0f / 255.0f - 0.5f) / 0.5f);
    EXPECT_EQ(test.images.at({0, 0, 0, 0}), -1.0f);
    EXPECT_EQ(test.images.at({0, 0, 9, 3}), 1.0f);                          // pixel 255
    EXPECT_NEAR(test.images.at({0, 0, 4, 16}), 128.0 / 255 * 2 - 1, 1e-7);  // pixel 128
    EXPECT_EQ(test.labels[13], 3.0f);
  }
}

TEST(Mnist, PrefersThePlainFileAndNamesBothWhenMissing) {
  TempDir dir;
  write_plain(dir.file("train-images-idx3-ubyte"), {});
  write_plain(dir.file("train-images-idx3-ubyte.gz"), {});
  EXPECT_EQ(mnist_file(dir.path(), "train-images-idx3-ubyte"), dir.file("train-images-idx3-ubyte"));
  expect_error([&] { mnist_file(dir.path(), "t10k-images-idx3-ubyte"); }, ErrorCode::kIo,
               {dir.file("t10k-images-idx3-ubyte"), dir.file("t10k-images-idx3-ubyte.gz")},
               "missing part");
  expect_error([&] { load_study_data(dir.file("no_such_folder"), 1); }, ErrorCode::kIo,
               {"not found"}, "missing folder");
}

TEST(Mnist, ImageAndLabelCountsMustAgree) {
  TempDir dir;
  write_mnist_folder(dir, 20, 5, false);
  write_idx(dir.file("t10k-labels-idx1-ubyte"), IdxArray{{6}, {0, 1, 2, 3, 4, 5}});
  expect_error([&] { read_mnist(dir.path(), MnistPart::kTest); }, ErrorCode::kCorruptData,
               {"holds 5 images", "holds 6 labels", dir.file("t10k-labels-idx1-ubyte")},
               "5 images, 6 labels");
  write_idx(dir.file("t10k-labels-idx1-ubyte"), IdxArray{{5}, {0, 1, 12, 3, 4}});
  expect_error([&] { read_mnist(dir.path(), MnistPart::kTest); }, ErrorCode::kCorruptData,
               {"label 12 of example 2 is outside 0..9"}, "label 12");
  // Images and labels swapped: the dimension check catches it.
  fs::copy_file(dir.file("train-labels-idx1-ubyte"), dir.file("t10k-images-idx3-ubyte"),
                fs::copy_options::overwrite_existing);
  expect_error([&] { read_mnist(dir.path(), MnistPart::kTest); }, ErrorCode::kCorruptData,
               {"expected 3"}, "labels as images");
}

TEST(Split, SampleIndicesAreDistinctSeededAndChecked) {
  const std::vector<std::size_t> a = sample_indices(1000, 600, 5);
  EXPECT_EQ(std::set<std::size_t>(a.begin(), a.end()).size(), 600u);
  EXPECT_TRUE(std::all_of(a.begin(), a.end(), [](std::size_t i) { return i < 1000; }));
  EXPECT_EQ(sample_indices(1000, 600, 5), a);
  EXPECT_NE(sample_indices(1000, 600, 6), a);
  const std::vector<std::size_t> all = sample_indices(50, 50, 1);
  EXPECT_EQ(std::set<std::size_t>(all.begin(), all.end()).size(), 50u);
  expect_error([] { sample_indices(10, 11, 1); }, ErrorCode::kInvalidParameter,
               {"cannot sample 11 distinct examples from 10"}, "too many");
}

TEST(Split, SmallFolderSplitHasTheSizesAsked) {
  TempDir dir;
  write_mnist_folder(dir, 100, 30, true);
  const SplitSizes sizes{.train = 30, .epoch_validation = 20, .trial_validation = 40, .test = 25};
  const StudyData d = load_study_data(dir.path(), 7, sizes);
  EXPECT_EQ(d.train.size(), 30u);
  EXPECT_EQ(d.epoch_validation.size(), 20u);
  EXPECT_EQ(d.trial_validation.size(), 40u);
  EXPECT_EQ(d.test.size(), 25u);
  // The test part is the first 25 t10k examples in order: labels 0, 1, ..., 9, 0, ...
  for (std::size_t i = 0; i < 25; ++i) EXPECT_EQ(d.test.labels[i], static_cast<float>(i % 10));
  expect_error(
      [&] {
        load_study_data(dir.path(), 7,
                        {.train = 50, .epoch_validation = 30, .trial_validation = 21});
      },
      ErrorCode::kInvalidParameter, {"needs 101 training examples", "holds 100"},
      "split larger than the file");
  expect_error(
      [&] {
        load_study_data(dir.path(), 7,
                        {.train = 10, .epoch_validation = 10, .trial_validation = 10, .test = 31});
      },
      ErrorCode::kInvalidParameter, {"31 test examples", "holds 30"}, "test too large");
  expect_error([&] { load_study_data(dir.path(), 7, {.train = 0}); }, ErrorCode::kInvalidParameter,
               {"must be positive"}, "empty train");
}

// ---------------------------------------------------------------------------- batches

TEST(Batches, EveryEpochVisitsEachExampleOnceWithAShortLastBatch) {
  Tensor inputs({10, 2});
  Tensor targets({10});
  for (std::size_t i = 0; i < 10; ++i) {
    inputs[2 * i] = static_cast<float>(i);
    inputs[2 * i + 1] = static_cast<float>(100 + i);
    targets[i] = static_cast<float>(i % 3);
  }
  BatchLoader plain(inputs, targets, 4);
  EXPECT_EQ(plain.batch_count(), 3u);
  expect_error([&] { plain.batch(0); }, ErrorCode::kInvalidArgument, {"next_epoch()"},
               "batch before next_epoch");
  const std::vector<std::size_t> identity = plain.next_epoch();
  EXPECT_EQ(identity, (std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  const Batch last = plain.batch(2);
  EXPECT_EQ(last.inputs.shape(), (Shape{2, 2}));
  EXPECT_EQ(last.inputs.at({1, 1}), 109.0f);
  EXPECT_EQ(last.targets.shape(), (Shape{2}));
  expect_error([&] { plain.batch(3); }, ErrorCode::kInvalidArgument, {"batch 3 of 3"},
               "batch out of range");
  EXPECT_EQ(plain.next_epoch(), identity);  // no shuffling: the same order every epoch

  BatchLoader shuffled(inputs, targets, 4, true, 20250301);
  BatchLoader again(inputs, targets, 4, true, 20250301);
  std::vector<std::vector<std::size_t>> orders;
  for (int epoch = 0; epoch < 3; ++epoch) {
    const std::vector<std::size_t> order = shuffled.next_epoch();
    EXPECT_EQ(again.next_epoch(), order) << "same seed, same epoch " << epoch;
    std::vector<std::size_t> sorted = order;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sorted, identity) << "epoch " << epoch << " is a permutation";
    std::vector<std::size_t> seen;
    for (std::size_t b = 0; b < shuffled.batch_count(); ++b) {
      const Batch batch = shuffled.batch(b);
      for (std::size_t k = 0; k < batch.indices.size(); ++k) {
        const std::size_t i = batch.indices[k];
        EXPECT_EQ(batch.inputs.at({k, 0}), static_cast<float>(i));
        EXPECT_EQ(batch.targets[k], static_cast<float>(i % 3));
        seen.push_back(i);
      }
    }
    EXPECT_EQ(seen, order);
    orders.push_back(order);
  }
  EXPECT_NE(orders[0], orders[1]);  // a fresh permutation each epoch
  EXPECT_NE(orders[0], identity);
  BatchLoader other(inputs, targets, 4, true, 1);
  EXPECT_NE(other.next_epoch(), orders[0]);

  expect_error([&] { BatchLoader(inputs, Tensor({9}), 4); }, ErrorCode::kInvalidArgument,
               {"(10, 2)", "(9)"}, "count mismatch");
  expect_error([&] { BatchLoader(inputs, targets, 0); }, ErrorCode::kInvalidParameter,
               {"batch size"}, "batch size 0");
}

// ---------------------------------------------------------------------------- Fashion-MNIST

TEST(FashionMnist, DefaultFolderGivesTheSeedSplit) {
  ASSERT_TRUE(fs::exists(kDefaultMnistFolder))
      << kDefaultMnistFolder << " is missing: install Debian's dataset-fashion-mnist";
  const StudyData d = load_study_data();
  const std::vector<std::pair<const Dataset*, std::size_t>> parts = {
      {&d.train, 3000}, {&d.epoch_validation, 2000}, {&d.trial_validation, 5000}, {&d.test, 10000}};
  for (const auto& [set, n] : parts) {
    ASSERT_EQ(set->images.shape(), (Shape{n, 1, 28, 28}));
    ASSERT_EQ(set->labels.shape(), (Shape{n}));
    const auto [lo, hi] = std::minmax_element(set->images.data().begin(), set->images.data().end());
    EXPECT_EQ(*lo, -1.0f);
    EXPECT_EQ(*hi, 1.0f);
    std::set<float> classes(set->labels.data().begin(), set->labels.data().end());
    EXPECT_EQ(classes, (std::set<float>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})) << n << " examples";
  }
  // The split is the first 10,000 of sample_indices(60000, 10000, seed): disjoint parts.
  const std::vector<std::size_t> drawn = sample_indices(60000, 10000, kStudySeed);
  EXPECT_EQ(std::set<std::size_t>(drawn.begin(), drawn.end()).size(), 10000u);

  // Same seed, same split; another seed, another split (smaller sizes keep this fast).
  const SplitSizes small{
      .train = 300, .epoch_validation = 200, .trial_validation = 500, .test = 100};
  const StudyData a = load_study_data(kDefaultMnistFolder, kStudySeed, small);
  const StudyData b = load_study_data(kDefaultMnistFolder, 1234, small);
  for (std::size_t i = 0; i < 300 * 784; ++i) ASSERT_EQ(a.train.images[i], d.train.images[i]);
  for (std::size_t i = 0; i < 300; ++i) ASSERT_EQ(a.train.labels[i], d.train.labels[i]);
  const auto equal = [](const Tensor& x, const Tensor& y) {
    return std::equal(x.data().begin(), x.data().end(), y.data().begin(), y.data().end());
  };
  EXPECT_FALSE(equal(a.train.images, b.train.images));
  EXPECT_FALSE(equal(a.trial_validation.labels, b.trial_validation.labels));
  EXPECT_TRUE(equal(a.test.images, b.test.images));  // test is never sampled
}

}  // namespace
}  // namespace actlab::data
