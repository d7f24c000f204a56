/*
 * Marks one symbol-version requirement of an ELF64 shared object as weak (VER_FLG_WEAK),
 * so that the dynamic loader accepts a library that lacks that version node.
 *
 *   elf_weaken_verneed FILE VERSION     e.g.  libLibTorchSharp.so GLIBCXX_3.4.32
 *
 * Exit codes: 0 patched, 3 already weak (nothing written), 4 FILE does not require VERSION,
 *             1 I/O or format error.
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int read_at(FILE *f, long off, void *buf, size_t n) {
  return fseek(f, off, SEEK_SET) == 0 && fread(buf, 1, n, f) == n;
}

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: %s FILE VERSION\n", argv[0]); return 1; }
  FILE *f = fopen(argv[1], "r+b");
  if (!f) { perror(argv[1]); return 1; }

  Elf64_Ehdr eh;
  if (!read_at(f, 0, &eh, sizeof eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
      eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_shentsize != sizeof(Elf64_Shdr)) {
    fprintf(stderr, "%s: not an ELF64 file\n", argv[1]); return 1;
  }
  Elf64_Shdr *sh = calloc(eh.e_shnum, sizeof *sh);
  if (!sh || !read_at(f, (long)eh.e_shoff, sh, eh.e_shnum * sizeof *sh)) {
    fprintf(stderr, "%s: cannot read section headers\n", argv[1]); return 1;
  }
  for (int i = 0; i < eh.e_shnum; i++) {
    if (sh[i].sh_type != SHT_GNU_verneed) continue;
    Elf64_Shdr *strtab = &sh[sh[i].sh_link];
    char *strs = malloc(strtab->sh_size);
    if (!strs || !read_at(f, (long)strtab->sh_offset, strs, strtab->sh_size)) return 1;
    long need_off = (long)sh[i].sh_offset;
    for (;;) {
      Elf64_Verneed vn;
      if (!read_at(f, need_off, &vn, sizeof vn)) return 1;
      long aux_off = need_off + vn.vn_aux;
      for (int k = 0; k < vn.vn_cnt; k++) {
        Elf64_Vernaux va;
        if (!read_at(f, aux_off, &va, sizeof va)) return 1;
        if (va.vna_name < strtab->sh_size && strcmp(strs + va.vna_name, argv[2]) == 0) {
          if (va.vna_flags & VER_FLG_WEAK) { fclose(f); return 3; }
          va.vna_flags |= VER_FLG_WEAK;
          if (fseek(f, aux_off, SEEK_SET) != 0 || fwrite(&va, sizeof va, 1, f) != 1) return 1;
          return fclose(f) == 0 ? 0 : 1;
        }
        if (va.vna_next == 0) break;
        aux_off += va.vna_next;
      }
      if (vn.vn_next == 0) break;
      need_off += vn.vn_next;
    }
  }
  fclose(f);
  return 4;
}
