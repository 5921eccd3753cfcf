/* The purgatory object embedded in kdumpkit (src/purgatory/embed.S): an ELF64 relocatable
 * (ET_REL) file, purgatory.ro as the build made it. Empty where the architecture has none. */
#ifndef KD_PURGATORY_OBJECT_H
#define KD_PURGATORY_OBJECT_H

extern const unsigned char kd_purgatory_object[];
extern const unsigned char kd_purgatory_object_end[];

#endif
