/**
 * SendGrid v3 mail send request checks, after twilio/sendgrid-oai's `mail_send` schema
 * (../shared/data/sendgrid/openapi/mail_send.openapi.json) and SendGrid's documented error texts
 * (https://www.twilio.com/docs/sendgrid/api-reference/mail-send/errors). The sandbox checks what a
 * caller most often gets wrong; it is not a full schema validator.
 */

/** One entry of SendGrid's 400 body `{errors:[{message, field, help}]}`. */
export interface SendgridError {
  message: string;
  field: string | null;
  help: string | null;
}

const HELP = 'http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html';
const EMAIL = /^[^\s@<>()[\]",;:]+@[^\s@<>()[\]",;:]+\.[^\s@<>()[\]",;:]+$/;
/** Limits of the mail_send schema. */
export const SENDGRID_LIMITS = {
  personalizations: 1000,
  categories: 10,
  categoryLength: 255,
  customArgsBytes: 10_000,
  sendAtAheadSeconds: 72 * 3600,
} as const;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function error(field: string | null, message: string, anchor: string): SendgridError {
  return { message, field, help: `${HELP}#${anchor}` };
}

function checkEmail(value: unknown, field: string, errors: SendgridError[]): void {
  if (!isObject(value) || typeof value.email !== 'string' || !EMAIL.test(value.email)) {
    errors.push(error(field, 'Does not contain a valid address.', `message.${field.replace(/\.\d+/g, '')}`));
  }
}

function checkCustomArgs(value: unknown, field: string, errors: SendgridError[]): Record<string, string> {
  if (value === undefined) return {};
  if (!isObject(value) || !Object.values(value).every((item) => typeof item === 'string')) {
    errors.push(
      error(field, 'Invalid type. Expected: object, given: other. The custom_args values must be strings.', 'message.custom_args'),
    );
    return {};
  }
  return value as Record<string, string>;
}

/**
 * The errors SendGrid would answer 400 for `body` (empty when it is acceptable): personalizations
 * 1–1000, each with 1+ `to` addresses; a valid `from.email`; a subject (message-level, in every
 * personalization, or a `template_id`); content of 1+ blocks with `type` and `value` unless
 * `template_id`; categories ≤10, unique, each ≤255 chars; custom_args string values, message-level
 * plus each personalization's ≤10,000 bytes; send_at ≤72 h ahead (`now` in unix seconds).
 */
export function validateMailSend(body: unknown, now = Math.floor(Date.now() / 1000)): SendgridError[] {
  const errors: SendgridError[] = [];
  if (!isObject(body)) return [error(null, 'Bad Request', 'message')];
  const templateId = typeof body.template_id === 'string' && body.template_id.length > 0;
  const personalizations = body.personalizations;
  if (!Array.isArray(personalizations) || personalizations.length === 0) {
    errors.push(
      error(
        'personalizations',
        'The personalizations field is required and must have at least one personalization.',
        'message.personalizations',
      ),
    );
  } else if (personalizations.length > SENDGRID_LIMITS.personalizations) {
    errors.push(
      error(
        'personalizations',
        `The personalizations field can contain no more than ${SENDGRID_LIMITS.personalizations} personalizations.`,
        'message.personalizations',
      ),
    );
  }
  const messageArgs = checkCustomArgs(body.custom_args, 'custom_args', errors);
  let everySubject = Array.isArray(personalizations) && personalizations.length > 0;
  (Array.isArray(personalizations) ? personalizations : []).forEach((item, index) => {
    const prefix = `personalizations.${index}`;
    if (!isObject(item)) {
      errors.push(error(prefix, 'Invalid type. Expected: object.', 'message.personalizations'));
      everySubject = false;
      return;
    }
    if (!Array.isArray(item.to) || item.to.length === 0) {
      errors.push(
        error(
          `${prefix}.to`,
          'The to array is required for all personalization objects, and must have at least one email object with a valid email address.',
          'message.personalizations.to',
        ),
      );
    } else item.to.forEach((to, toIndex) => checkEmail(to, `${prefix}.to.${toIndex}.email`, errors));
    for (const kind of ['cc', 'bcc'] as const) {
      const list = item[kind];
      if (list !== undefined) {
        if (!Array.isArray(list))
          errors.push(error(`${prefix}.${kind}`, `The ${kind} field must be an array.`, `message.personalizations.${kind}`));
        else list.forEach((entry, entryIndex) => checkEmail(entry, `${prefix}.${kind}.${entryIndex}.email`, errors));
      }
    }
    if (typeof item.subject !== 'string' || item.subject.length === 0) everySubject = false;
    const args = checkCustomArgs(item.custom_args, `${prefix}.custom_args`, errors);
    const size = Buffer.byteLength(JSON.stringify({ ...messageArgs, ...args }), 'utf8');
    if (size > SENDGRID_LIMITS.customArgsBytes) {
      errors.push(
        error(
          `${prefix}.custom_args`,
          `The total size of the custom_args of a personalization must be less than ${SENDGRID_LIMITS.customArgsBytes} bytes.`,
          'message.custom_args',
        ),
      );
    }
  });
  if (body.from === undefined) {
    errors.push(
      error(
        'from',
        'The from object must be provided for every email send. It is an object that requires the email parameter, but may also contain a name parameter.  e.g. {"email" : "example@example.com"}  or {"email" : "example@example.com", "name" : "Example Recipient"}.',
        'message.from',
      ),
    );
  } else if (!isObject(body.from) || typeof body.from.email !== 'string' || !EMAIL.test(body.from.email)) {
    errors.push(
      error(
        'from',
        'The from object must at least have an \'email\' parameter with a valid email address and may also contain a \'name\' parameter. e.g. {"email": "example@example.com"} or {"email": "example@example.com", "name": "Example Recipient"}',
        'message.from',
      ),
    );
  }
  const subject = typeof body.subject === 'string' && body.subject.length > 0;
  if (!subject && !everySubject && !templateId) {
    errors.push(
      error(
        'subject',
        'The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.',
        'message.subject',
      ),
    );
  }
  const content = body.content;
  if (!templateId) {
    if (!Array.isArray(content) || content.length === 0) {
      errors.push(
        error(
          'content',
          'Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block. We typically suggest both text/plain and text/html blocks are included, but only one block is required.',
          'message.content',
        ),
      );
    }
  }
  if (Array.isArray(content)) {
    content.forEach((block, index) => {
      if (!isObject(block) || typeof block.type !== 'string' || block.type.length === 0) {
        errors.push(error(`content.${index}.type`, 'The content type cannot be blank.', 'message.content.type'));
      }
      if (!isObject(block) || typeof block.value !== 'string' || block.value.length === 0) {
        errors.push(
          error(`content.${index}.value`, 'The content value must be a string at least one character in length.', 'message.content.value'),
        );
      }
    });
  }
  const categories = body.categories;
  if (categories !== undefined) {
    if (!Array.isArray(categories) || !categories.every((category) => typeof category === 'string')) {
      errors.push(error('categories', 'The categories field must be an array of strings.', 'message.categories'));
    } else {
      if (categories.length > SENDGRID_LIMITS.categories) {
        errors.push(
          error('categories', 'Too many categories. You may not have more than 10 categories per request.', 'message.categories'),
        );
      }
      if (new Set(categories).size !== categories.length) {
        errors.push(error('categories', 'The categories must be unique.', 'message.categories'));
      }
      if (categories.some((category) => category.length > SENDGRID_LIMITS.categoryLength)) {
        errors.push(error('categories', 'A category cannot exceed 255 characters.', 'message.categories'));
      }
    }
  }
  if (body.send_at !== undefined) {
    if (typeof body.send_at !== 'number' || !Number.isInteger(body.send_at)) {
      errors.push(error('send_at', 'The send_at parameter must be a unix timestamp.', 'message.send_at'));
    } else if (body.send_at > now + SENDGRID_LIMITS.sendAtAheadSeconds) {
      errors.push(error('send_at', 'The send_at parameter cannot be scheduled more than 72 hours in advance.', 'message.send_at'));
    }
  }
  return errors;
}

/** Whether `mail_settings.sandbox_mode.enable` is set: SendGrid then validates, answers 200 and sends nothing. */
export function isSandboxMode(body: unknown): boolean {
  if (!isObject(body) || !isObject(body.mail_settings)) return false;
  const mode = body.mail_settings.sandbox_mode;
  return isObject(mode) && mode.enable === true;
}

/** One line per recipient: every to/cc/bcc of every personalization, with its merged custom_args. */
export function recipientsOf(body: Json): Array<{ email: string; personalization: number; customArgs: Record<string, string> }> {
  const messageArgs = isObject(body.custom_args) ? (body.custom_args as Record<string, string>) : {};
  const personalizations = Array.isArray(body.personalizations) ? body.personalizations : [];
  return personalizations.flatMap((item: Json, index: number) => {
    const args = isObject(item.custom_args) ? (item.custom_args as Record<string, string>) : {};
    const addresses = (['to', 'cc', 'bcc'] as const).flatMap((kind) => (Array.isArray(item[kind]) ? (item[kind] as Json[]) : []));
    return addresses.map((address) => ({ email: String(address.email), personalization: index, customArgs: { ...messageArgs, ...args } }));
  });
}
