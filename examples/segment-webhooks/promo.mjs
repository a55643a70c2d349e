// Turns a "cart abandoners" entry into a WhatsApp-style template message payload (the shape of
// the WhatsApp Cloud API's template messages). Pure: the caller decides whether to send it.

/**
 * @param {any} webhook a parsed Satu segment webhook
 * @param {{ segmentKey?: string, template?: string, language?: string, promoCode?: string }} [options]
 * @returns {object | null} the message, or null when the webhook is not a cart-abandoner entry or has no phone
 * @example promoMessage(JSON.parse(body))?.to // '6281234567890'
 */
export function promoMessage(webhook, { segmentKey = 'cart_abandoners', template = 'cart_reminder', language = 'id', promoCode = 'BALIK10' } = {}) {
  if (webhook?.type !== 'segment.entered' || webhook.segment?.key !== segmentKey) return null;
  const profile = webhook.profile ?? {};
  const traits = profile.traits ?? {};
  const phone = profile.identities?.find((i) => i.type === 'phone')?.value ?? (typeof traits.phone === 'string' ? traits.phone : null);
  if (!phone) return null;
  const name = typeof traits.firstName === 'string' ? traits.firstName : typeof traits.name === 'string' ? traits.name.split(' ')[0] : 'there';
  return {
    messaging_product: 'whatsapp',
    to: phone.replace(/\D/g, ''),
    type: 'template',
    // The webhook id: resending the same message after a retried webhook is the receiver's to avoid.
    biz_opaque_callback_data: webhook.id,
    template: {
      name: template,
      language: { code: language },
      components: [{ type: 'body', parameters: [{ type: 'text', text: name }, { type: 'text', text: promoCode }] }],
    },
  };
}
