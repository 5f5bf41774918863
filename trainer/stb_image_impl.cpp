// The one translation unit that compiles stb_image's implementation (header-only library from
// libstb-dev). Built only when the header was found.
#define STB_IMAGE_IMPLEMENTATION
#define STBI_NO_HDR
#define STBI_NO_LINEAR
#define STBI_NO_PSD
#define STBI_NO_PIC
#include <stb_image.h>
