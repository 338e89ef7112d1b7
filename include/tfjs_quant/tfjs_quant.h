// SPDX-License-Identifier: Apache-2.0
// tfjs-quant: read, quantize and write TensorFlow.js model weights.
// Umbrella header of the core (target tfjs_quant::core): bytes in, bytes
// out, no file system, no threads, no exceptions. The edges are separate
// headers of target tfjs_quant::tfjs_quant: tfjs_quant/disk.h (model
// folders, output folders) and tfjs_quant/threads.h (a thread executor).
#pragma once

#include "tfjs_quant/budget.h"
#include "tfjs_quant/diff.h"
#include "tfjs_quant/dtype.h"
#include "tfjs_quant/executor.h"
#include "tfjs_quant/inspect.h"
#include "tfjs_quant/io.h"
#include "tfjs_quant/limits.h"
#include "tfjs_quant/manifest.h"
#include "tfjs_quant/model.h"
#include "tfjs_quant/quantize.h"
#include "tfjs_quant/search.h"
#include "tfjs_quant/select.h"
#include "tfjs_quant/status.h"
#include "tfjs_quant/text.h"
#include "tfjs_quant/writer.h"
