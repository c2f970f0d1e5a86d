import { SETTINGS, type Config } from './settings.js';

/** A NATS subject token we build names from: no dots, wildcards or spaces. */
const TOKEN = /^[A-Za-z0-9_-]+$/;

/**
 * The cluster settings that are valid alone but not together (docs/operations.md "Running several
 * nodes"): a node that is not `all` lives in a cluster, and a cluster shares one PostgreSQL and
 * one NATS. Each message names the variable to change.
 */
export function clusterChecks(config: Config): string[] {
  const problems: string[] = [];
  const { role, bus, store } = SETTINGS;
  if (config.role !== 'all' && config.bus !== 'nats') {
    problems.push(`${role.env}=${config.role}: needs ${bus.env}=nats (a ${config.role} node is one of several nodes sharing a bus)`);
  }
  if (config.bus === 'nats') {
    if (config.store !== 'postgres') {
      problems.push(`${bus.env}=nats: needs ${store.env}=postgres (every node of a cluster reads and writes one PostgreSQL database)`);
    }
    if (config.natsUrl === '') problems.push(`${SETTINGS.natsUrl.env}: required when ${bus.env}=nats (e.g. nats://127.0.0.1:4222)`);
    else if (!natsUrlsValid(config.natsUrl)) problems.push(`${SETTINGS.natsUrl.env}: expected nats://host:port[,nats://host:port…], got '${config.natsUrl}'`);
  }
  if (config.nodeName !== '' && !TOKEN.test(config.nodeName)) {
    problems.push(`${SETTINGS.nodeName.env}: expected letters, digits, - and _, got '${config.nodeName}'`);
  }
  if (!TOKEN.test(config.busSubjectPrefix)) {
    problems.push(`${SETTINGS.busSubjectPrefix.env}: expected letters, digits, - and _, got '${config.busSubjectPrefix}'`);
  }
  return problems;
}

function natsUrlsValid(urls: string): boolean {
  return urls.split(',').every((raw) => {
    try {
      const u = new URL(raw.trim());
      return (u.protocol === 'nats:' || u.protocol === 'tls:') && u.hostname !== '';
    } catch {
      return false;
    }
  });
}
