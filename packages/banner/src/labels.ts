/**
 * Default banner labels per language, for the server's config (not bundled into the browser
 * builds: the served config carries the labels of the property's own languages).
 */
import type { BannerLabels } from '@assent/core/collect';

export const defaultLabels: Record<'en' | 'fr' | 'id', BannerLabels> = {
  en: {
    title: 'We value your privacy',
    acceptAll: 'Accept all',
    rejectAll: 'Reject all',
    customize: 'Customize',
    save: 'Save my choices',
    close: 'Close without accepting',
    privacyPolicy: 'Privacy policy',
    alwaysOn: 'Always on',
    vendors: 'Partners',
    gpcApplied: 'Off because your browser sends a Global Privacy Control signal',
    reloadNeeded: 'Reload the page to fully apply your choice.',
    reload: 'Reload',
  },
  fr: {
    title: 'Vos données, votre choix',
    acceptAll: 'Tout accepter',
    rejectAll: 'Tout refuser',
    customize: 'Personnaliser',
    save: 'Enregistrer mes choix',
    close: 'Fermer sans accepter',
    privacyPolicy: 'Politique de confidentialité',
    alwaysOn: 'Toujours actif',
    vendors: 'Partenaires',
    gpcApplied: 'Désactivé : votre navigateur envoie le signal Global Privacy Control',
    reloadNeeded: 'Rechargez la page pour que votre choix s’applique entièrement.',
    reload: 'Recharger',
  },
  id: {
    title: 'Kami menghargai privasi Anda',
    acceptAll: 'Terima semua',
    rejectAll: 'Tolak semua',
    customize: 'Atur pilihan',
    save: 'Simpan pilihan saya',
    close: 'Tutup tanpa menerima',
    privacyPolicy: 'Kebijakan privasi',
    alwaysOn: 'Selalu aktif',
    vendors: 'Mitra',
    gpcApplied: 'Nonaktif karena browser Anda mengirim sinyal Global Privacy Control',
    reloadNeeded: 'Muat ulang halaman agar pilihan Anda berlaku sepenuhnya.',
    reload: 'Muat ulang',
  },
};
