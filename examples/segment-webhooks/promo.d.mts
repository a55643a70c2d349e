export function promoMessage(
  webhook: unknown,
  options?: { segmentKey?: string; template?: string; language?: string; promoCode?: string },
): { messaging_product: 'whatsapp'; to: string; type: 'template'; biz_opaque_callback_data: string; template: { name: string; language: { code: string }; components: unknown[] } } | null;
