// SPDX-License-Identifier: MIT
//
// The official Microsoft Graph TypeScript SDK (Kiota, @microsoft/msgraph-sdk)
// pointed at lcwd. npm has no published fluent package for the
// identityGovernance paths, so requests are built as the generated request
// builders build them (same URL templates, RequestInformation, the SDK's own
// model serializers and parsable factories, the ODataError mapping) and sent
// through the SDK's GraphRequestAdapter with its default middleware.
//
// Every HTTP exchange is recorded so that the conformance check can compare
// what lcwd sent with what the SDK's typed model made of it.

import { GraphRequestAdapter } from '@microsoft/msgraph-sdk';
import { createGraphClientFactory } from '@microsoft/msgraph-sdk-core';
import {
  BaseBearerTokenAuthenticationProvider, RequestInformation, HttpMethod,
} from '@microsoft/kiota-abstractions';
import { JsonParseNode } from '@microsoft/kiota-serialization-json';
import { createODataErrorFromDiscriminatorValue } from '@microsoft/msgraph-sdk/models/oDataErrors/index.js';

export const ERRORS = { XXX: createODataErrorFromDiscriminatorValue };

/**
 * Extension properties lcw documents that the Graph model does not know.
 * Keys: "<model>.<path>" as reported by compareParsed, array indexes as [].
 * Add an entry only for a property documented as an lcw extension.
 */
export const LCW_EXTENSION_ALLOW_LIST = new Set([
  // Tenant setting: how long run history is kept (docs/API.md, settings; lcw extension).
  'lifecycleManagementSettings.historyRetentionInDays',
]);

/** OData control information, not properties: the SDK keeps it in additionalData as Graph does. */
function isControlAnnotation(key) {
  return key === '@odata.context' || /^[A-Za-z0-9_]+@odata\.context$/.test(key);
}

/** The Kiota field name for a JSON property. */
function fieldName(key) {
  if (key === '@odata.type') return 'odataType';
  if (key === '@odata.nextLink') return 'odataNextLink';
  if (key === '@odata.count') return 'odataCount';
  if (key === '@odata.deltaLink') return 'odataDeltaLink';
  return key.replace(/-([a-z])/g, (_, c) => c.toUpperCase()); // request-id -> requestId
}

/**
 * Compare a raw JSON value with what the SDK parsed from it. Pushes
 * findings: {path, kind, detail}. kind: 'unknown-property' (landed in
 * additionalData), 'not-parsed' (known property whose value the SDK could
 * not read: wrong type, bad enum or date), 'known-client-bug'.
 */
export function compareParsed(raw, parsed, path, findings) {
  if (raw === null || raw === undefined) return;
  if (Array.isArray(raw)) {
    if (!Array.isArray(parsed)) {
      findings.push({ path, kind: 'not-parsed', detail: `array parsed as ${typeof parsed}` });
      return;
    }
    raw.forEach((v, i) => compareParsed(v, parsed[i], `${path}[${i}]`, findings));
    return;
  }
  if (typeof raw !== 'object') return;
  if (parsed === null || typeof parsed !== 'object') {
    findings.push({ path, kind: 'not-parsed', detail: `object parsed as ${parsed}` });
    return;
  }
  const extra = parsed.additionalData || {};
  for (const [key, value] of Object.entries(raw)) {
    const where = `${path}.${key}`;
    if (Object.prototype.hasOwnProperty.call(extra, key)) {
      if (isControlAnnotation(key)) continue;
      if (LCW_EXTENSION_ALLOW_LIST.has(where.replace(/\[\d+\]/g, '[]'))) continue;
      findings.push({ path: where, kind: 'unknown-property', detail: `not in the SDK model: ${JSON.stringify(value).slice(0, 120)}` });
      continue;
    }
    const f = fieldName(key);
    // Kiota renames members that clash with JS names (ODataError.error -> errorEscaped).
    const pv = parsed[f] !== undefined ? parsed[f] : parsed[`${f}Escaped`];
    if (value === null) continue;
    if (pv === undefined) {
      findings.push({ path: where, kind: 'not-parsed', detail: `SDK read nothing from ${JSON.stringify(value).slice(0, 120)}` });
      continue;
    }
    if (pv instanceof Date) {
      if (Number.isNaN(pv.getTime())) findings.push({ path: where, kind: 'not-parsed', detail: `invalid date ${value}` });
      continue;
    }
    if (typeof value === 'string' && Array.isArray(pv)) {
      // Flagged enums ("joiner,leaver"): Kiota reads a comma list as an empty
      // collection (NOTES.md, known client bug). Valid values still parse
      // one by one.
      if (pv.length === 0 && value.length) {
        findings.push({ path: where, kind: 'known-client-bug', detail: `flags enum '${value}' read as []` });
      }
      continue;
    }
    if (typeof value === 'object') compareParsed(value, pv, where, findings);
  }
}

/** Parse raw JSON with a parsable factory exactly as the adapter does. */
export function parseWith(raw, factory) {
  return new JsonParseNode(raw).getObjectValue(factory);
}

export class KiotaClient {
  constructor(baseUrl, token) {
    this.exchanges = [];
    const recordingFetch = async (url, init) => {
      const res = await fetch(url, init);
      const text = await res.clone().text();
      this.exchanges.push({ method: init?.method || 'GET', url: String(url), status: res.status, contentType: res.headers.get('content-type'), text });
      return res;
    };
    const auth = new BaseBearerTokenAuthenticationProvider({
      getAuthorizationToken: async () => token,
      getAllowedHostsValidator: () => ({ isUrlHostValid: () => true, getAllowedHosts: () => [], setAllowedHosts: () => {} }),
    });
    const httpClient = createGraphClientFactory({ graphServiceTargetVersion: '', graphServiceLibraryClientVersion: '1.0.0' }, recordingFetch);
    this.adapter = new GraphRequestAdapter(auth, undefined, undefined, httpClient);
    this.adapter.baseUrl = `${baseUrl}/v1.0`;
  }

  info(method, template, pathParameters = {}, queryParameters) {
    const ri = new RequestInformation(HttpMethod[method], template, pathParameters);
    ri.headers.tryAdd('Accept', 'application/json');
    if (queryParameters) ri.setQueryStringParametersFromRawObject(queryParameters, QUERY_MAPPING);
    return ri;
  }

  /** Send and parse the response with `factory`. */
  async send(method, template, { path = {}, query, body, serializer, factory }) {
    const ri = this.info(method, template, path, query);
    if (body !== undefined) ri.setContentFromParsable(this.adapter, 'application/json', body, serializer);
    return this.adapter.send(ri, factory, ERRORS);
  }

  async sendNoContent(method, template, { path = {}, body, serializer }) {
    const ri = this.info(method, template, path);
    if (body !== undefined) ri.setContentFromParsable(this.adapter, 'application/json', body, serializer);
    return this.adapter.sendNoResponseContent(ri, ERRORS);
  }
}

// What the generated request builders map query parameter names to.
const QUERY_MAPPING = {
  count: '%24count', expand: '%24expand', filter: '%24filter', orderby: '%24orderby',
  search: '%24search', select: '%24select', skip: '%24skip', top: '%24top',
};
const Q = '{?%24count,%24expand,%24filter,%24orderby,%24search,%24select,%24skip,%24top}';
const QG = '{?%24expand,%24select}';
const LW = '{+baseurl}/identityGovernance/lifecycleWorkflows';

/** URL templates as in the generated request builders (msgraph-sdk-typescript). */
export const T = {
  workflows: `${LW}/workflows${Q}`,
  workflow: `${LW}/workflows/{workflow%2Did}${QG}`,
  workflowNoQuery: `${LW}/workflows/{workflow%2Did}`,
  createNewVersion: `${LW}/workflows/{workflow%2Did}/microsoft.graph.identityGovernance.createNewVersion`,
  tasks: `${LW}/workflows/{workflow%2Did}/tasks${Q}`,
  versions: `${LW}/workflows/{workflow%2Did}/versions${Q}`,
  version: `${LW}/workflows/{workflow%2Did}/versions/{workflowVersion%2DversionNumber}${QG}`,
  deletedWorkflows: `${LW}/deletedItems/workflows${Q}`,
  deletedWorkflow: `${LW}/deletedItems/workflows/{workflow%2Did}${QG}`,
  restore: `${LW}/deletedItems/workflows/{workflow%2Did}/microsoft.graph.identityGovernance.restore`,
  taskDefinitions: `${LW}/taskDefinitions${Q}`,
  taskDefinition: `${LW}/taskDefinitions/{taskDefinition%2Did}${QG}`,
  workflowTemplates: `${LW}/workflowTemplates${Q}`,
  workflowTemplate: `${LW}/workflowTemplates/{workflowTemplate%2Did}${QG}`,
  customTaskExtensions: `${LW}/customTaskExtensions${Q}`,
  customTaskExtension: `${LW}/customTaskExtensions/{customTaskExtension%2Did}${QG}`,
  settings: `${LW}/settings${QG}`,
  directoryAudits: `{+baseurl}/auditLogs/directoryAudits${Q}`,
  users: `{+baseurl}/users${Q}`,
  groups: `{+baseurl}/groups${Q}`,
};

/** The serializer of the generated CreateNewVersionPostRequestBody. */
export function createNewVersionBodySerializer(serializeWorkflow) {
  return (writer, body = {}) => {
    writer.writeObjectValue('workflow', body.workflow, serializeWorkflow);
    writer.writeAdditionalData(body.additionalData);
  };
}
