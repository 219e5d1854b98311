/** `tandem` command line (see bin/tandem.mjs). */
export {};
