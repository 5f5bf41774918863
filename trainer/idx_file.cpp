#include "trainer/idx_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "trainer/errors.hpp"

#ifdef DTRAIN_HAVE_ZLIB
#include <zlib.h>
#endif

namespace dlaunch::trainer {
namespace {

// The largest array we accept: far above ImageNet-as-IDX, far below a corrupt header's 2^64.
constexpr std::uint64_t kMaxBytes = std::uint64_t{1} << 36;

// A byte source over a plain or gzip file; read() returns bytes read, throws on I/O errors.
class Source {
 public:
  explicit Source(const std::string& path) : path_(path) {
#ifdef DTRAIN_HAVE_ZLIB
    gz_ = gzopen(path.c_str(), "rb");
    if (gz_ == nullptr) fail(std::strerror(errno != 0 ? errno : ENOMEM));
    gzbuffer(gz_, 1 << 18);
#else
    file_ = std::fopen(path.c_str(), "rb");
    if (file_ == nullptr) fail(std::strerror(errno));
    unsigned char magic[2] = {0, 0};
    if (std::fread(magic, 1, 2, file_) == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
      fail("gzip-compressed, but this dtrain was built without zlib (gunzip it)");
    }
    std::rewind(file_);
#endif
  }
  ~Source() {
#ifdef DTRAIN_HAVE_ZLIB
    if (gz_ != nullptr) gzclose(gz_);
#else
    if (file_ != nullptr) std::fclose(file_);
#endif
  }
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;

  std::size_t read(void* out, std::size_t n) {
    std::size_t done = 0;
    auto* bytes = static_cast<unsigned char*>(out);
    while (done < n) {
      const std::size_t chunk = std::min<std::size_t>(n - done, 1u << 30);
#ifdef DTRAIN_HAVE_ZLIB
      int got = gzread(gz_, bytes + done, static_cast<unsigned>(chunk));
      if (got < 0) {
        int code = 0;
        const char* message = gzerror(gz_, &code);
        fail(std::string("corrupt gzip data: ") + message);
      }
      if (got == 0) {
        int code = 0;
        const char* message = gzerror(gz_, &code);
        if (code != Z_OK) fail(std::string("corrupt gzip data: ") + message);
        break;
      }
      done += static_cast<std::size_t>(got);
#else
      std::size_t got = std::fread(bytes + done, 1, chunk, file_);
      if (got == 0) {
        if (std::ferror(file_)) fail(std::strerror(errno));
        break;
      }
      done += got;
#endif
    }
    return done;
  }

  [[noreturn]] void fail(const std::string& why) const {
    throw DataError("cannot read IDX file " + path_ + ": " + why);
  }

 private:
  std::string path_;
#ifdef DTRAIN_HAVE_ZLIB
  gzFile gz_ = nullptr;
#else
  std::FILE* file_ = nullptr;
#endif
};

}  // namespace

bool idx_gzip_supported() {
#ifdef DTRAIN_HAVE_ZLIB
  return true;
#else
  return false;
#endif
}

IdxArray read_idx_file(const std::string& path) {
  Source source(path);
  unsigned char magic[4];
  if (source.read(magic, 4) != 4) source.fail("shorter than the 4-byte IDX header");
  if (magic[0] != 0 || magic[1] != 0) source.fail("not an IDX file (bad magic)");
  if (magic[2] != 0x08) {
    char type[8];
    std::snprintf(type, sizeof type, "0x%02x", magic[2]);
    source.fail(std::string("element type ") + type + " is not unsigned byte (0x08)");
  }
  const int rank = magic[3];
  if (rank < 1 || rank > 4) source.fail("unsupported rank " + std::to_string(rank));

  IdxArray array;
  std::uint64_t total = 1;
  for (int i = 0; i < rank; ++i) {
    unsigned char be[4];
    if (source.read(be, 4) != 4) source.fail("truncated header");
    const std::uint64_t dim = (std::uint64_t{be[0]} << 24) | (std::uint64_t{be[1]} << 16) |
                              (std::uint64_t{be[2]} << 8) | std::uint64_t{be[3]};
    total *= dim;
    if (total > kMaxBytes) source.fail("header claims more than 64 GiB of data");
    array.dims.push_back(static_cast<std::int64_t>(dim));
  }
  array.data.resize(total);
  const std::size_t got = source.read(array.data.data(), total);
  if (got != total) {
    source.fail("truncated: header promises " + std::to_string(total) + " data bytes, file has " +
                std::to_string(got));
  }
  unsigned char extra;
  if (source.read(&extra, 1) != 0) source.fail("trailing bytes after the data");
  return array;
}

}  // namespace dlaunch::trainer
