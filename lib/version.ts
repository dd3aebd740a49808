/** Vigie's version, carried by every agent message and shown by `vigie --version`. */
export const VIGIE_VERSION = "0.1.0";
