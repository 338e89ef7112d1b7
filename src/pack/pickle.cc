// SPDX-License-Identifier: Apache-2.0
// STUB: the restricted pickle reader, to be written.
