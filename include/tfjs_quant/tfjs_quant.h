// SPDX-License-Identifier: Apache-2.0
// tfjs-quant: read, quantize and write TensorFlow.js model weights.
// Umbrella header: includes the whole public API.
#pragma once

#include "tfjs_quant/disk.h"
#include "tfjs_quant/dtype.h"
#include "tfjs_quant/inspect.h"
#include "tfjs_quant/io.h"
#include "tfjs_quant/manifest.h"
#include "tfjs_quant/model.h"
#include "tfjs_quant/quantize.h"
#include "tfjs_quant/budget.h"
#include "tfjs_quant/search.h"
#include "tfjs_quant/select.h"
#include "tfjs_quant/status.h"
#include "tfjs_quant/writer.h"
