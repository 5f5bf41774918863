#pragma once
// How one sample's floats are laid out in a batch buffer: planar CHW (NCHW batches) or
// interleaved HWC (channels-last batches, what oneDNN and cuDNN convolutions prefer).

namespace dlaunch::trainer {

enum class SampleLayout { kChw, kHwc };

}  // namespace dlaunch::trainer
