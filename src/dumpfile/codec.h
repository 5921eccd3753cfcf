/* The page codecs moved to base/codec.h (vmcore/ reads compressed dumps too, and may not
 * depend on dumpfile/); this forwarding header keeps older includes working. */
#ifndef KD_DUMPFILE_CODEC_H
#define KD_DUMPFILE_CODEC_H
#include "base/codec.h"
#endif
