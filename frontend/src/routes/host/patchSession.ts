// PATCH a session from a console panel: '' when it worked, else the error to show (Danish
// where the interface is).
import { api } from '../../lib/api';
import { errorText } from '../../lib/i18n/index.svelte';

export async function patchSession(id: string, body: Record<string, unknown>): Promise<string> {
  try {
    await api.patch(`/api/v1/sessions/${encodeURIComponent(id)}`, body);
    return '';
  } catch (err) {
    const ae = err as { code?: string; message?: string };
    return errorText(ae.code, ae.message);
  }
}
