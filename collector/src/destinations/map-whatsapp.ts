import { normalisePhone } from '../identity/phone';
import { GRAPH_API_VERSION, apiUrl, type WhatsAppConfig } from './kinds';

/**
 * The person's number for WhatsApp in E.164: a phone identity (stored normalised), else the
 * `phone` trait when it reads as an international number. Null: nobody to message.
 *
 * @example
 * whatsappNumber([{ type: 'phone', value: '+6281234567890' }], {}) // '+6281234567890'
 */
export function whatsappNumber(identities: readonly { type: string; value: string }[], traits: Record<string, unknown>): string | null {
  const identity = identities.find((i) => i.type === 'phone')?.value;
  if (identity) return identity;
  return typeof traits.phone === 'string' ? normalisePhone(traits.phone) : null;
}

/**
 * The Cloud API call that sends the destination's approved template to one number:
 * `POST /{version}/{phoneNumberId}/messages`, the access token as Bearer.
 *
 * @example
 * whatsappRequest(config, '+6281234567890').url // 'https://graph.facebook.com/v25.0/<phoneNumberId>/messages'
 */
export function whatsappRequest(config: WhatsAppConfig, to: string): { url: string; headers: Record<string, string>; body: string } {
  return {
    url: apiUrl('whatsapp', config.endpoint, `/${GRAPH_API_VERSION}/${config.phoneNumberId}/messages`),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${config.accessToken}` },
    body: JSON.stringify({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to,
      type: 'template',
      template: { name: config.template, language: { code: config.language } },
    }),
  };
}
