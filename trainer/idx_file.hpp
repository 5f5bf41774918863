#pragma once
// Reader for the IDX format of (Fashion-)MNIST: a 4-byte magic (0, 0, type, rank), `rank`
// big-endian u32 dimensions, then the unsigned bytes. Gzip-compressed files (.gz, as Debian's
// dataset-fashion-mnist ships them) are inflated with zlib while reading; plain files are read
// as they are. Only the unsigned-byte type (0x08) is supported. Errors are DataError naming
// the file. No LibTorch.

#include <cstdint>
#include <string>
#include <vector>

namespace dlaunch::trainer {

struct IdxArray {
  std::vector<std::int64_t> dims;
  std::vector<std::uint8_t> data;  // row-major, product(dims) bytes
};

IdxArray read_idx_file(const std::string& path);

// True when this build can read gzip files (zlib was found).
bool idx_gzip_supported();

}  // namespace dlaunch::trainer
