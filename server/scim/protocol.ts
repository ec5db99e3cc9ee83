// SCIM 2.0 wire constants, the error answer of RFC 7644 section 3.12 and the discovery documents of
// section 4 (ServiceProviderConfig, ResourceTypes, Schemas), written for what this server supports.
export const SCIM_CONTENT_TYPE = 'application/scim+json'
export const URN = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  list: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  patch: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  error: 'urn:ietf:params:scim:api:messages:2.0:Error',
  spc: 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig',
  resourceType: 'urn:ietf:params:scim:schemas:core:2.0:ResourceType',
  schema: 'urn:ietf:params:scim:schemas:core:2.0:Schema',
} as const

export type ScimType =
  | 'invalidFilter' | 'tooMany' | 'uniqueness' | 'mutability' | 'invalidSyntax' | 'invalidPath' | 'noTarget'
  | 'invalidValue' | 'invalidVers' | 'sensitive'

/** A failure answered in the SCIM error schema; its detail is safe to show (never a secret). */
export class ScimError extends Error {
  constructor(readonly status: number, readonly detail: string, readonly scimType?: ScimType, readonly headers: Record<string, string> = {}) {
    super(detail)
  }
  body() {
    return { schemas: [URN.error], status: String(this.status), ...(this.scimType ? { scimType: this.scimType } : {}), detail: this.detail }
  }
}

export const badValue = (detail: string) => new ScimError(400, detail, 'invalidValue')
export const notFoundScim = (what: string, id: string) => new ScimError(404, `${what} ${id} not found`)

/** The largest page a list answers; a larger `count` is cut to it (RFC 7644 section 3.4.2.4). */
export const MAX_COUNT = 200
export const DEFAULT_COUNT = 100

export function serviceProviderConfig(base: string) {
  return {
    schemas: [URN.spc],
    documentationUri: `${base}/ServiceProviderConfig`,
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_COUNT },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: true },
    authenticationSchemes: [{
      type: 'oauthbearertoken', name: 'OAuth Bearer Token', primary: true,
      description: 'The tenant\'s SCIM token (created by an administrator in the console) as Authorization: Bearer <token>',
    }],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
  }
}

export function resourceTypes(base: string) {
  return [
    { schemas: [URN.resourceType], id: 'User', name: 'User', endpoint: '/Users', description: 'A person who signs in to the console', schema: URN.user, meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/User` } },
    { schemas: [URN.resourceType], id: 'Group', name: 'Group', endpoint: '/Groups', description: 'A console role (admin, developer, auditor); its members are the people holding it', schema: URN.group, meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/Group` } },
  ]
}

type Attr = Record<string, unknown>
const attr = (name: string, o: Partial<Attr> = {}): Attr => ({
  name, type: 'string', multiValued: false, required: false, caseExact: false, mutability: 'readWrite', returned: 'default', uniqueness: 'none', ...o,
})

export function schemas(base: string) {
  return [
    {
      schemas: [URN.schema], id: URN.user, name: 'User', description: 'A person',
      attributes: [
        attr('userName', { required: true, uniqueness: 'server', description: 'The sign-in email address (compared without case)' }),
        attr('name', {
          type: 'complex', subAttributes: [attr('formatted'), attr('givenName'), attr('familyName')],
          description: 'Kept as one display name (formatted, else givenName and familyName joined)',
        }),
        attr('displayName'),
        attr('emails', { type: 'complex', multiValued: true, mutability: 'readOnly', subAttributes: [attr('value'), attr('type'), attr('primary', { type: 'boolean' })], description: 'The userName, as the one primary work address' }),
        attr('active', { type: 'boolean' }),
        attr('externalId', { caseExact: true }),
        attr('groups', { type: 'complex', multiValued: true, mutability: 'readOnly', subAttributes: [attr('value'), attr('display')], description: 'The role group the person belongs to' }),
      ],
      meta: { resourceType: 'Schema', location: `${base}/Schemas/${URN.user}` },
    },
    {
      schemas: [URN.schema], id: URN.group, name: 'Group', description: 'A console role',
      attributes: [
        attr('displayName', { required: true, mutability: 'readOnly', uniqueness: 'server' }),
        attr('members', { type: 'complex', multiValued: true, subAttributes: [attr('value', { mutability: 'immutable' }), attr('display', { mutability: 'readOnly' })] }),
      ],
      meta: { resourceType: 'Schema', location: `${base}/Schemas/${URN.group}` },
    },
  ]
}
