export function verifySatuSignature(
  secret: string,
  rawBody: string,
  header: string | null | undefined,
  options?: { nowSeconds?: number; toleranceSeconds?: number },
): boolean;
