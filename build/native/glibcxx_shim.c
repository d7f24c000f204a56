/*
 * libLibTorchSharp.so (TorchSharp 0.107) was linked against GCC 13's libstdc++ and asks for
 * std::ios_base_library_init() at version GLIBCXX_3.4.32. Older libstdc++ (GCC 12, Debian 12)
 * initialises iostreams itself and lacks that symbol, so an empty definition is correct.
 * Loaded with RTLD_GLOBAL before TorchSharp; see build/torchsharp-glibcxx.targets.
 */
void _ZSt21ios_base_library_initv(void) {}
