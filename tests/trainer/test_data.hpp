#pragma once
// Tiny generated datasets for the trainer tests: IDX files (plain or gzip) and image folders
// of PNG/JPEG files.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace dlaunch::trainer::testing {

// The shared test helpers: a self-removing temp folder, and file writing that creates the
// parent folders and throws when it cannot write.
using dlaunch::testing::TempDir;
using dlaunch::testing::write_file;

// An IDX ubyte file with the given dims and data; gzip-compressed when `gzip`.
void write_idx(const std::string& path, const std::vector<std::uint32_t>& dims,
               const std::vector<std::uint8_t>& data, bool gzip);

// A Fashion-MNIST-shaped folder (28x28, 10 classes) of n_train/n_test samples whose label is
// readable from the image (a bright 4x4 block at a class-specific place), so a net can learn it.
void write_fake_fashion_mnist(const std::string& dir, int n_train, int n_test, bool gzip = true);

// A w x h RGB image where pixel (x, y) = (x * 255 / (w-1), y * 255 / (h-1), c).
void write_png(const std::string& path, int w, int h, std::uint8_t c = 0);
void write_jpeg(const std::string& path, int w, int h, std::uint8_t c = 0);

}  // namespace dlaunch::trainer::testing
