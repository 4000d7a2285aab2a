import { useEffect, useState } from 'preact/hooks';
import { request } from '../../../api.ts';
import { problemText } from '../../../ui/problem.ts';

/** What a device's connector last told: connected or not, its last reading and its last error. */
export interface DeviceState {
  id: string;
  connected: boolean;
  lastReading: {
    channel: string;
    value: number | string | boolean | null;
    unit: string | null;
    stable: boolean | null;
    status: string;
    raw: unknown;
    deviceTime: string | null;
    serverTime: string;
  } | null;
  lastError: { message: string; at: string } | null;
}

/** How often the live state is read while the page is in view. */
const POLL_MS = 2000;

/**
 * The live state of the devices, by id, read every two seconds while the page is mounted and the
 * browser shows it (a hidden tab reads nothing); `failure` says why it cannot be read.
 */
export function useDeviceStates(): { states: Map<string, DeviceState>; failure: string | null } {
  const [states, setStates] = useState(new Map<string, DeviceState>());
  const [failure, setFailure] = useState<string | null>(null);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let live = true;
    let reading = false;
    const read = async () => {
      timer = undefined;
      if (reading || document.visibilityState !== 'visible') return;
      reading = true;
      try {
        const { items } = await request<{ items: DeviceState[] }>('GET', '/api/devices/state');
        if (!live) return;
        setStates(new Map(items.map((s) => [s.id, s])));
        setFailure(null);
      } catch (error) {
        if (live) setFailure(problemText(error));
      } finally {
        reading = false;
      }
      if (live) timer = setTimeout(() => void read(), POLL_MS);
    };
    const visibility = () => {
      if (document.visibilityState === 'visible' && timer === undefined) void read();
    };
    document.addEventListener('visibilitychange', visibility);
    void read();
    return () => {
      live = false;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', visibility);
    };
  }, []);
  return { states, failure };
}
